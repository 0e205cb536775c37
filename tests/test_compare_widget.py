"""The live compare widget, kernel side: state after construction and after each interaction."""

from __future__ import annotations

import base64

import pytest

import nbtrack
from nbtrack.entities import Run, RunStatus
from nbtrack.ids import new_run_id


@pytest.fixture
def many():
    store = nbtrack.tracker().store
    runs = [Run(new_run_id(1.7e9 + i), experiment="grid", status=RunStatus.FINISHED,
                start_time=1.7e9 + i, end_time=1.7e9 + i + 2, name=f"run{i:03d}",
                params={"lr": [0.1, 0.01][i % 2], "depth": i % 5, "seed": 7},
                metrics={"acc": i / 200}) for i in range(120)]
    store.bulk_import(runs)
    nbtrack.set_experiment("grid")
    return runs


def test_first_page_and_columns(many):
    w = nbtrack.compare().widget
    assert w.total == 120 and len(w.rows) == 50
    assert w.columns[:4] == ["run_id", "name", "status", "duration"]
    assert "params.lr" in w.columns and "metrics.acc" in w.columns
    assert w.rows[0]["name"] == "run119", "newest first"
    assert sorted(w.differing) == ["depth", "lr"]
    assert w.chart_metric == "acc"
    assert repr(w) == "compare: 120 runs of experiment grid"
    w.filter = "params.lr = 0.1"
    assert repr(w) == "compare: 60 runs of experiment grid matching 'params.lr = 0.1'"


def test_sort_filter_page_and_only_differences(many):
    w = nbtrack.compare().widget
    w.sort = "metrics.acc ASC"
    assert w.rows[0]["name"] == "run000"
    w.page = 2
    assert [r["name"] for r in w.rows][:2] == ["run100", "run101"] and len(w.rows) == 20
    w.filter = "params.depth = 3 and metrics.acc > 0.3"
    assert w.page == 0 and w.total == 12
    assert {r["params.depth"] for r in w.rows} == {"3"}
    w.only_differences = True
    assert "params.seed" not in w.columns and "params.lr" in w.columns
    w.filter = "metrics.acc >"
    assert "bad filter" in w.error and w.total == 12, "a bad filter keeps the last good page"


def test_selection_draws_a_chart(many):
    w = nbtrack.compare().widget
    w.selected = [many[5].run_id, many[6].run_id]
    png = base64.b64decode(w.chart_png)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    w.selected = []
    assert w.chart_png == ""


def test_runs_argument_limits_the_widget(many):
    w = nbtrack.compare([many[0].run_id, many[1].run_id]).widget
    assert w.total == 2
    w.filter = "metrics.acc > 0.001"
    assert w.total == 1


def test_display_leaves_a_static_copy_before_the_widget(many, ip, monkeypatch):
    # a shell with a kernel, as in a notebook (terminal IPython has none: no widget there)
    monkeypatch.setattr(ip, "kernel", object(), raising=False)
    published = []
    original = ip.display_pub.publish

    def capture(data, metadata=None, **kwargs):
        published.append(data)

    ip.display_pub.publish = capture
    try:
        ip.run_cell("import nbtrack\nnbtrack.compare(filter='params.depth = 1')")
    finally:
        ip.display_pub.publish = original
    mimes = [sorted(d) for d in published]
    assert mimes[0] == ["text/html", "text/plain"] and "nbtrack-static" in published[0]["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in published[1]


@pytest.mark.parametrize("kind", ["scatter", "parallel"])
def test_scatter_and_parallel_charts_use_the_query_when_little_is_selected(many, kind):
    w = nbtrack.compare().widget
    w.chart_kind = kind
    assert base64.b64decode(w.chart_png)[:8] == b"\x89PNG\r\n\x1a\n"
    assert w.numeric_params == ["depth", "lr"]
    if kind == "scatter":
        before = w.chart_png
        w.chart_x = "lr"
        assert w.chart_png != before


def test_confusion_matrix_chart(many):
    with nbtrack.start_run(name="cm", experiment="grid") as run:
        nbtrack.log_confusion_matrix(["a", "b", "b"], ["a", "b", "a"])
    w = nbtrack.compare().widget
    w.chart_kind = "confusion"
    w.selected = [run.run_id]
    assert base64.b64decode(w.chart_png)[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_cell_compare_button_opens_the_runs_of_its_cell():
    from nbtrack.views.cell_compare import cell_compare_box

    for acc in (0.5, 0.7):
        with nbtrack.tracker().start_run(name=f"acc={acc}", cell_id="cell-x"):
            nbtrack.log_metric("acc", acc)
    with nbtrack.tracker().start_run(name="other cell", cell_id="cell-y"):
        nbtrack.log_metric("acc", 0.1)
    store = nbtrack.tracker().store
    box = cell_compare_box(store, "cell-x", 2)
    button, output = box.children
    assert button.label == "compare the 2 runs of this cell" and output.outputs == ()
    button.clicks += 1
    assert len(output.outputs) == 2
    assert "nbtrack-static" in output.outputs[0]["data"]["text/html"]
    assert "other cell" not in output.outputs[0]["data"]["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in output.outputs[1]["data"]
