"""compare: selection, differing params, static HTML + PNG fallback, terminal table."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys

import pytest

import nbtrack
from nbtrack.cli import main


@pytest.fixture
def sweep():
    ids = []
    for C, model in ((0.1, "lr"), (1.0, "lr"), (10.0, "rf")):
        with nbtrack.start_run(name=f"C={C}", params={"C": C, "model": model, "seed": 0}) as run:
            for epoch in range(3):
                nbtrack.log_metric("loss", 1.0 / (epoch + 1) / C)
            nbtrack.log_metric("acc", 0.8 + C / 100)
        ids.append(run.run_id)
    with nbtrack.start_run(name="<img src=x onerror=alert(1)>", params={"C": 5.0}):
        nbtrack.log_metric("acc", 0.5)
    return ids


def test_selection_by_ids_prefixes_dataframe_and_filter(sweep):
    assert sorted(nbtrack.compare(sweep[:2]).run_ids) == sorted(sweep[:2])
    assert nbtrack.compare([sweep[2][:12]]).run_ids == [sweep[2]]
    frame = nbtrack.runs(filter="params.model = 'lr'")
    assert sorted(nbtrack.compare(frame).run_ids) == sorted(sweep[:2])
    newest = nbtrack.runs(filter="params.C = 5").run_id[0]
    assert sorted(nbtrack.compare("params.C >= 1 and params.C < 6").run_ids) == sorted(
        [sweep[1], newest])
    assert len(nbtrack.compare().run_ids) == 4


def test_differing_params_are_found(sweep):
    view = nbtrack.compare(sweep)
    assert view.differing_params() == ["C", "model"]
    assert nbtrack.compare(sweep[:2]).differing_params() == ["C"]


def test_static_fallback_holds_table_values_and_valid_pngs(sweep):
    html = nbtrack.compare(sweep).static._repr_mimebundle_()["text/html"]
    for run_id in sweep:
        assert run_id in html
    assert "0.9" in html and "0.801" in html and "rf" in html
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    alts = re.findall(r'<img alt="([^"]+)"', html)
    assert alts == ["acc", "loss", "acc vs C"], "bar for acc, history for loss, a scatter"
    for data in images:
        png = base64.b64decode(data)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000


def test_html_is_escaped(sweep):
    html = nbtrack.compare().static._repr_mimebundle_()["text/html"]
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_cli_compare_marks_differences(sweep, capsys):
    assert main(["compare", *sweep, "--only-differences"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0]
    assert "*params.C" in header and "*params.model" in header and "seed" not in header
    assert "* differs across these 3 runs" in out
    assert main(["compare", "--filter", "params.model = 'lr'", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["differing_params"] == ["C"] and len(data["runs"]) == 2


@pytest.mark.slow
def test_nbconvert_html_shows_the_comparison_as_visible_text(tmp_path):
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in (
        "import nbtrack",
        "for C in (0.5, 2.0):\n    with nbtrack.start_run(name=f'visible-{C}', params={'C': C}):\n"
        "        nbtrack.log_metric('acc', C / 4)",
        "nbtrack.compare()")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    page, _ = HTMLExporter().from_notebook_node(nb)
    scripts_removed = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    assert "visible-0.5" in scripts_removed and "visible-2.0" in scripts_removed
    assert 'class="nbtrack-compare"' in scripts_removed
    assert "data:image/png;base64," in scripts_removed


def test_parallel_coordinates_and_confusion_matrix(tmp_path):
    for i, (lr, depth) in enumerate(((0.1, 3), (0.01, 5), (0.001, 8))):
        with nbtrack.start_run(name=f"grid{i}", params={"lr": lr, "depth": depth}):
            nbtrack.log_metric("acc", 0.7 + i / 10)
            if i == 0:
                nbtrack.log_confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
    html = nbtrack.compare().static.html()
    alts = re.findall(r'<img alt="([^"]+)"', html)
    assert "parallel coordinates" in alts and "acc vs depth" in alts
    assert any(a.startswith("confusion_matrix of r-") for a in alts)
    run = nbtrack.get_run(nbtrack.runs(filter="name = 'grid0'").run_id[0])
    data = json.loads(nbtrack.tracker().store.read_artifact(run.run_id, "confusion_matrix"))
    assert data == {"labels": [0, 1, 2], "matrix": [[1, 0, 0], [0, 1, 1], [0, 0, 1]]}


def test_static_comparison_shows_the_tables_of_scores_runs_kept(ip):
    pd = pytest.importorskip("pandas")
    ip.user_ns["pd"] = pd
    ip.run_cell("%%track --quiet\nscore_df = pd.DataFrame({'model': ['lr', 'gnb'], "
                "'accuracy': [0.91, 0.82]})", store_history=True)
    run_id = nbtrack.runs().run_id[0]
    page = nbtrack.compare([run_id]).static.html()
    assert f"<b>tables/score_df.csv</b> of {run_id}" in page
    assert "<td>gnb</td>" in page and "<td>0.82</td>" in page


def test_compare_in_terminal_ipython_prints_the_table_not_a_widget(python_env):
    code = ("import nbtrack\n"
            "for C in (0.1, 1.0):\n"
            "    with nbtrack.start_run(params={'C': C}):\n"
            "        nbtrack.log_metric('acc', C / 2)\n"
            "get_ipython().run_line_magic('load_ext', 'nbtrack')\n"
            "get_ipython().run_cell('%track compare')\n")
    done = subprocess.run([sys.executable, "-m", "IPython", "--simple-prompt", "--no-banner",
                           "-c", code], env=python_env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "CompareWidget" not in done.stdout
    lines = done.stdout.splitlines()
    header = next(line for line in lines if "run_id" in line)
    assert "*params.C" in header and "metrics.acc" in header
    assert "* differs across these 2 runs" in lines


def test_heading_names_the_params_the_table_shows_and_the_scatter_skips_runs_without_it():
    from nbtrack.views.compare import StaticComparison

    for i, C in enumerate((0.1, 1.0, 10.0, None)):
        params = {"model.max_iter": 100 * (i + 1), "model.tol": 1e-4 * (i + 1)}
        if C is not None:
            params["C"] = C
        with nbtrack.start_run(params=params):
            nbtrack.log_metric("acc", 0.5 + i / 10)
    store = nbtrack.tracker().store
    view = StaticComparison(store, store.search())
    page = view.html()
    heading = re.search(r"<p><b>4 runs</b>(.*?)</p>", page).group(1)
    assert heading == " · params that differ: C · 2 estimator settings differ"
    assert "acc vs C" in view.charts()


def test_scatter_labels_never_sit_on_each_other_or_run_off_the_right_edge():
    from nbtrack.views.charts import label_layout

    layout = dict(label_layout([1.0, 1.0, 2.0, 10.0], [0.5, 0.5, 0.7, 0.9]))
    assert sorted(layout) == [0, 2, 3], "the second of two coincident points is unlabelled"
    assert layout[3] == "right" and layout[2] == "left"
    assert len(label_layout(list(range(40)), [float(i) for i in range(40)])) == 12
