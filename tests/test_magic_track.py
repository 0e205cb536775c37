"""%%track in an IPython shell: every capture rule and every lifecycle path."""

from __future__ import annotations

import pytest

import nbtrack
from nbtrack.errors import NbtrackWarning
from nbtrack.entities import RunStatus


def track(ip, body, options="", cell_id=None):
    """Run a %%track cell; return (result, the run it recorded)."""
    result = ip.run_cell(f"%%track {options}\n{body}", store_history=True, cell_id=cell_id)
    table = nbtrack.tracker().store.search(limit=1)
    run = nbtrack.get_run(table.base["run_id"][0]) if len(table) else None
    return result, run


def test_literals_are_params_and_computed_numbers_are_metrics(ip):
    result, run = track(ip, "C = 0.5\nname = 'rf'\nlayers = (64, 32)\nneg = -3\n"
                            "use_bias = True\nnothing = None\nacc = C * 1.5\n")
    assert result.success and run.status is RunStatus.FINISHED
    assert run.params == {"C": 0.5, "name": "rf", "layers": [64, 32], "neg": -3,
                          "use_bias": True, "nothing": None}
    assert run.metrics == {"acc": 0.75}


def test_param_like_name_reassigned_from_a_computation_is_a_metric(ip):
    _, run = track(ip, "n = 10\nn = n * 2\n")
    assert run.params == {} and run.metrics == {"n": 20.0}


def test_literal_changed_later_in_the_cell_is_not_a_param(ip):
    _, run = track(ip, "lr = 0.1\nlr *= 0.5\n")
    assert "lr" not in run.params and run.metrics == {"lr": 0.05}


def test_bools_lists_and_loop_counters_are_not_metrics(ip):
    _, run = track(ip, "x = [1, 2, 3]\nconverged = len(x) > 2\nwords = ['a', 'b']\n"
                       "for i in range(3):\n    pass\ntotal = sum(x)\n")
    assert run.metrics == {"total": 6.0}
    assert run.params == {"x": [1, 2, 3], "words": ["a", "b"]}


def test_numpy_scalars_are_metrics(ip):
    _, run = track(ip, "import numpy as np\nmean = np.float32(0.25)\ncount = np.int64(3)\n"
                       "flag = np.bool_(True)\narr = np.arange(5.0)\n")
    assert run.metrics == {"mean": 0.25, "count": 3.0}


def test_list_built_by_appends_is_a_history(ip):
    _, run = track(ip, "losses = []\nfor epoch in range(4):\n    losses.append(1 / (epoch + 1))\n")
    assert "losses" not in run.params
    assert run.history("losses")["value"].tolist() == [1.0, 0.5, 1 / 3, 0.25]
    assert run.history("losses")["step"].tolist() == [0, 1, 2, 3]


def test_explicit_options_win(ip):
    ip.run_cell("data = [0.3, 0.2]\nthreshold = 7")
    _, run = track(ip, "a = 1\nscore = threshold * 2\nother = 5.0 * 2\n",
                   "--params threshold --metrics score,data --tag team=vision -t k=v")
    assert run.params == {"threshold": 7}
    assert run.metrics == {"score": 14.0, "data": 0.2}
    assert run.tags == {"team": "vision", "k": "v"}


def test_log_calls_inside_the_cell_go_to_its_run(ip):
    _, run = track(ip, "import nbtrack\nfor i in range(3):\n"
                       "    nbtrack.log_metric('loss', 1.0 / (i + 1))\n"
                       "nbtrack.set_tag('note', 'x')\n")
    assert run.history("loss")["value"].tolist() == [1.0, 0.5, 1 / 3]
    assert run.tags == {"note": "x"}
    assert nbtrack.active_run() is None, "the run never stays open into the next cell"


def test_name_and_experiment(ip):
    _, run = track(ip, "x = 1", "--name baseline --experiment iris")
    assert run.name == "baseline" and run.experiment == "iris"


def test_fitted_estimator_is_saved_with_params_and_signature(ip):
    ip.run_cell("from sklearn.datasets import load_iris\n"
                "from sklearn.linear_model import LogisticRegression\n"
                "X, y = load_iris(return_X_y=True, as_frame=True)")
    _, run = track(ip, "C = 0.5\nclf = LogisticRegression(C=C, max_iter=300).fit(X, y)\n"
                       "unfitted = LogisticRegression()\nacc = clf.score(X, y)\n")
    # the table the cell read is kept as a reference sample; y is not a table
    assert [a.name for a in run.artifacts] == ["clf", "reference/X.npz"]
    art = run.artifacts[0]
    assert art.meta["class"] == "LogisticRegression"
    inputs = art.meta["signature"]["inputs"]
    assert [i["name"] for i in inputs][:2] == ["sepal length (cm)", "sepal width (cm)"]
    assert inputs[0]["type"] == "float64"
    assert art.meta["signature"]["outputs"] == {"classes": [0, 1, 2]}
    assert run.params["clf.C"] == 0.5 and run.params["clf.max_iter"] == 300
    loaded = run.load_model("clf")
    assert (loaded.predict(ip.user_ns["X"]) == ip.user_ns["clf"].predict(ip.user_ns["X"])).all()


def test_a_pipelines_params_are_its_steps_and_a_searchs_are_its_own(ip):
    ip.run_cell("from sklearn.datasets import load_iris\n"
                "from sklearn.linear_model import LogisticRegression\n"
                "from sklearn.model_selection import GridSearchCV\n"
                "from sklearn.pipeline import make_pipeline\n"
                "from sklearn.preprocessing import StandardScaler\n"
                "X, y = load_iris(return_X_y=True, as_frame=True)")
    _, run = track(ip, "pipe = make_pipeline(StandardScaler(with_mean=False),\n"
                       "                     LogisticRegression(C=0.3, max_iter=300)).fit(X, y)\n")
    assert run.params["pipe.logisticregression__C"] == 0.3
    assert run.params["pipe.logisticregression__max_iter"] == 300
    assert run.params["pipe.standardscaler__with_mean"] is False
    assert run.params["pipe.logisticregression"] == "LogisticRegression"
    assert "pipe.steps" not in run.params
    _, run = track(ip, "search = GridSearchCV(make_pipeline(StandardScaler(), "
                       "LogisticRegression()),\n"
                       "                      {'logisticregression__C': [0.1, 1.0]}, cv=3)\n"
                       "search.fit(X, y)\n")
    assert run.params["search.cv"] == 3
    assert not [k for k in run.params if k.startswith("search.estimator__")]


def test_no_models_option(ip):
    ip.run_cell("from sklearn.linear_model import LinearRegression")
    _, run = track(ip, "m = LinearRegression().fit([[0], [1]], [0, 1])", "--no-models")
    assert run.artifacts == ()


def test_model_that_cannot_be_saved_warns_and_the_cell_still_succeeds(ip):
    ip.run_cell("import numpy as np\nfrom sklearn.preprocessing import FunctionTransformer")
    with pytest.warns(NbtrackWarning, match="could not save model 'ft'"):
        result, run = track(ip, "ft = FunctionTransformer(func=lambda v: v * 2).fit([[1.0]])\n"
                                "out = float(ft.transform(np.array([[2.0]]))[0][0])\n")
    assert result.success and ip.user_ns["out"] == 4.0
    assert run.status is RunStatus.FINISHED and run.metrics == {"out": 4.0}
    assert run.artifacts == ()


def test_value_that_cannot_be_stored_warns_and_the_cell_succeeds(ip):
    ip.run_cell("class Thing: pass\nthing = Thing()")
    with pytest.warns(NbtrackWarning, match="record param 'thing'"):
        result, run = track(ip, "y = 2", "--params thing")
    assert result.success and ip.user_ns["y"] == 2


def test_exception_marks_failed_and_reaches_the_user_unchanged(ip, capsys):
    result, run = track(ip, "a = 1\nb = a / 0\n")
    assert not result.success
    assert type(result.error_in_exec) is ZeroDivisionError
    assert str(result.error_in_exec) == "division by zero"
    assert run.status is RunStatus.FAILED
    assert "ZeroDivisionError: division by zero" in run.error and "b = a / 0" in run.error
    assert run.params == {"a": 1}
    out = capsys.readouterr().out
    assert "failed" in out and "ZeroDivisionError" in out
    assert "b = a / 0" in out and "line 3" in out, "the traceback points into the cell"
    assert nbtrack.active_run() is None


def test_keyboard_interrupt_marks_interrupted(ip):
    result, run = track(ip, "x = 1\nraise KeyboardInterrupt\n")
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    assert run.status is RunStatus.INTERRUPTED


def test_last_expression_is_displayed_and_semicolon_hides_it(ip, capsys):
    ip.run_cell("%%track\nv = 21\nv * 2")
    assert "42" in capsys.readouterr().out
    ip.run_cell("%%track\nv = 21\nv * 3;")
    # the summary line's random run id may contain "63": look at the other lines
    shown = [line for line in capsys.readouterr().out.splitlines() if " finished " not in line]
    assert not any("63" in line for line in shown)


def test_runs_of_a_cell_are_linked_and_show_the_delta(ip, capsys):
    _, first = track(ip, "C = 1\nacc = 0.5 + 0.25", cell_id="cell-a")
    capsys.readouterr()
    _, second = track(ip, "C = 2\nacc = 0.5 + 0.375", cell_id="cell-a")
    assert first.cell_id == second.cell_id == "cell-a"
    context = nbtrack.tracker().store.get_context(second.run_id)
    assert context["previous_run_id"] == first.run_id
    out = capsys.readouterr().out
    assert f"▲0.125 vs {first.run_id[:10]}" in out


def test_without_a_cell_id_editing_a_literal_keeps_the_cell_identity(ip):
    _, a = track(ip, "C = 1\nacc = C / 2")
    _, b = track(ip, "C = 5\nacc = C / 2")
    _, c = track(ip, "C = 5\nacc = C / 3 + 1")
    assert a.cell_id == b.cell_id != c.cell_id
    assert a.cell_id.startswith("code-")


def test_papermill_parameters_read_by_the_cell_are_params(ip):
    ip.run_cell("alpha = 0.1\nepochs = 3", store_history=True)  # the parameters cell
    ip.run_cell("# Parameters\nalpha = 0.7\n", store_history=True)  # papermill injects
    _, run = track(ip, "score = alpha * 2")
    assert run.params == {"alpha": 0.7}
    assert run.metrics == {"score": 1.4}


def test_inputs_read_by_the_cell_are_fingerprinted(ip):
    ip.run_cell("import pandas as pd\ndf = pd.DataFrame({'a': [1, 2], 'b': [0.5, 1.5]})")
    _, run = track(ip, "total = float(df['a'].sum())\nnew = df.copy()\n")
    inputs = nbtrack.tracker().store.get_context(run.run_id)["inputs"]
    assert list(inputs) == ["df"]
    assert inputs["df"]["shape"] == [2, 2] and inputs["df"]["columns"] == ["a", "b"]
    assert inputs["df"]["dtypes"] == ["int64", "float64"]
    ip.run_cell("df.loc[0, 'a'] = 10")
    _, again = track(ip, "total = float(df['a'].sum())\n")
    changed = nbtrack.tracker().store.get_context(again.run_id)["inputs"]["df"]
    assert changed["sha256"] != inputs["df"]["sha256"]


def test_context_records_source_history_and_resources(ip):
    ip.run_cell("base = 3", store_history=True)
    _, run = track(ip, "y = base + 1")
    context = nbtrack.tracker().store.get_context(run.run_id)
    assert context["source"].strip() == "y = base + 1"
    assert any(h["source"] == "base = 3" for h in context["history"])
    assert context["system"]["wall_time_s"] >= 0 and context["system"]["peak_rss_mb"] > 0
    assert context["environment"]["python"]


def test_quiet_shows_no_summary(ip, capsys):
    ip.run_cell("%%track --quiet\nz = 1")
    assert "finished" not in capsys.readouterr().out


def test_summary_escapes_html(ip):
    from nbtrack.views.summary import Summary

    html = Summary("r-x", "FINISHED", 1.0, params={"n": "<img src=x onerror=alert(1)>"}).html()
    assert "<img" not in html and "&lt;img" in html


def test_printed_text_is_kept_with_the_run_and_still_shown(ip, capsys):
    result, run = track(ip, "acc = 0.5 + 0.25\nprint(f'accuracy: {acc:.3f}')")
    assert "accuracy: 0.750" in capsys.readouterr().out
    assert nbtrack.tracker().store.get_context(run.run_id)["output"] == "accuracy: 0.750\n"


def test_inputs_are_fingerprinted_as_the_cell_found_them(ip):
    pd = pytest.importorskip("pandas")
    ip.user_ns["df"] = pd.DataFrame({"a": [1, 2, 3]})
    _, run = track(ip, 'df["b"] = df["a"] * 2\ntotal = float(df["b"].sum())')
    inputs = nbtrack.tracker().store.get_context(run.run_id)["inputs"]
    assert inputs["df"]["columns"] == ["a"] and inputs["df"]["shape"] == [3, 1]
    assert list(ip.user_ns["df"].columns) == ["a", "b"]
