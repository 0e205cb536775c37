"""Which fitted models a tracked cell saves, under which names, and models that need
notebook-defined code."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tracked_cells import run_tracked

pytest.importorskip("sklearn")

SETUP = ("from sklearn.datasets import load_iris\n"
         "from sklearn.linear_model import LogisticRegression, Ridge\n"
         "from sklearn.naive_bayes import GaussianNB\n"
         "from sklearn.pipeline import make_pipeline\n"
         "from sklearn.preprocessing import StandardScaler\n"
         "X, y = load_iris(return_X_y=True)")


def tracked(ip, body):
    run = run_tracked(ip, SETUP, body)
    return run, {a.name for a in run.artifacts if a.kind == "model"}


def test_models_fitted_through_a_loop_variable_are_saved_by_their_own_names(ip):
    run, models = tracked(ip, "lr = LogisticRegression(max_iter=500)\ngnb = GaussianNB()\n"
                              "for name, clf in [('lr', lr), ('gnb', gnb)]:\n"
                              "    clf.fit(X, y)")
    assert models == {"lr", "gnb"}
    assert run.params["lr.max_iter"] == 500 and "clf.max_iter" not in run.params


def test_models_held_only_by_containers_are_named_by_their_place(ip):
    run, models = tracked(ip, "classifiers = [LogisticRegression(max_iter=500), GaussianNB()]\n"
                              "by_name = {'ridge': Ridge()}\n"
                              "for clf in classifiers:\n    clf.fit(X, y)\n"
                              "by_name['ridge'].fit(X, y)")
    assert models == {"classifiers.0", "classifiers.1", "by_name.ridge"}


def test_a_chained_fit_saves_the_model_and_its_params(ip):
    ip.run_cell(SETUP + "\nm = Ridge()", store_history=True)
    run, models = tracked(ip, "m.set_params(alpha=0.1).fit(X, y)")
    assert models == {"m"} and run.params["m.alpha"] == 0.1


def test_pipeline_steps_are_saved_with_the_pipeline_only(ip):
    _, models = tracked(ip, "scaler = StandardScaler()\nclf = LogisticRegression()\n"
                            "pipe = make_pipeline(scaler, clf).fit(X, y)")
    assert models == {"pipe"}


def test_a_model_only_scored_by_the_cell_is_not_saved_again(ip):
    ip.run_cell(SETUP + "\nmodel = LogisticRegression(max_iter=500).fit(X, y)",
                store_history=True)
    run, models = tracked(ip, "acc = model.score(X, y)")
    assert models == set() and run.metrics["acc"] > 0.9


def test_a_notebook_defined_class_warns_and_refuses_to_load_elsewhere(tmp_path):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    sources = ["%load_ext nbtrack", SETUP + "\nclass MyRidge(Ridge):\n    pass",
               "%%track\nmine = MyRidge(alpha=2.0).fit(X, y)",
               "import nbtrack\nrun_id = nbtrack.tracker().last_run_id\n"
               "print(type(nbtrack.get_run(run_id).load_model('mine')).__name__, run_id)"]
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    warned = "".join(o.get("text", "") for o in nb.cells[2].outputs if o.get("name") == "stderr")
    assert "model 'mine' uses MyRidge, defined in this notebook" in warned
    name, run_id = nb.cells[3].outputs[0]["text"].split()
    assert name == "MyRidge"  # in the notebook that defines it, the model loads
    script = f"import nbtrack\nnbtrack.get_run({run_id!r}).load_model('mine')"
    other = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert other.returncode == 1
    last = other.stderr.strip().splitlines()[-1]
    assert last == ("nbtrack.errors.NotebookCodeError: model 'mine' needs MyRidge, defined in "
                    "the notebook that saved it; run the cell that defines MyRidge first (or "
                    "move it into a module and import it)")
