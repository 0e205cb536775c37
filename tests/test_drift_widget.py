"""The inline drift report: the widget's traits, its badges, and what a notebook gets
(the widget's view plus the static HTML table in one output), in-process and in a real
kernel run by nbclient."""

from __future__ import annotations

import json
import re
import sys

import numpy as np
import pandas as pd
import pytest

from nbtrack.monitoring.drift import drift, psi
from nbtrack.views.drift_display import WIDGET_VIEW, drift_bundle

DECILES = np.linspace(0.1, 0.9, 9)


@pytest.fixture(scope="module")
def tables():
    """``big`` moves by a standard deviation, ``small`` by a fifth of one, ``colour``
    trades a share of ``red`` for ``blue``; ``few`` has 20 values on each side."""
    rng = np.random.default_rng(3)
    n = 2000
    reference = pd.DataFrame({
        "small": rng.normal(0, 1, n), "big": rng.normal(0, 1, n),
        "colour": rng.choice(["red", "green", "blue"], n, p=[0.5, 0.3, 0.2]),
        "few": [*rng.normal(0, 1, 20), *[np.nan] * (n - 20)]})
    current = pd.DataFrame({
        "small": rng.normal(0.2, 1, n), "big": rng.normal(1.0, 1, n),
        "colour": rng.choice(["red", "green", "blue"], n, p=[0.35, 0.3, 0.35]),
        "few": [*rng.normal(0, 1, 20), *[np.nan] * (n - 20)]})
    return reference, current


@pytest.fixture(scope="module")
def report(tables):
    return drift(*tables)


def _widget(report):
    from nbtrack.views.drift_widget import DriftWidget

    return DriftWidget(report)


def test_traits_carry_the_features_in_psi_order_with_their_shares_and_bins(tables, report):
    reference, current = tables
    widget = _widget(report)
    names = [f["feature"] for f in widget.features]
    assert names == ["big", "colour", "small", "few"], "largest PSI first, untested last"
    psis = [f["psi"] for f in widget.features[:3]]
    assert psis == sorted(psis, reverse=True) and psis[0] > 0.25 > psis[2]
    big, colour = widget.features[0], widget.features[1]

    # numeric: the reference's decile edges, and each side's share between them
    edges = np.quantile(reference["big"], DECILES)
    assert big["edges"] == pytest.approx(edges.tolist()) and big["levels"] == []
    bins = np.searchsorted(edges, current["big"], side="right")
    by_hand = np.bincount(bins, minlength=10) / len(current)
    assert big["current"] == pytest.approx(by_hand.tolist())
    assert big["reference"] == pytest.approx([0.1] * 10)
    assert big["psi"] == pytest.approx(psi(big["reference"], big["current"]))

    # categorical: the levels in text order, each side's share of each
    assert colour["levels"] == ["blue", "green", "red"] and colour["edges"] == []
    for side, table in (("reference", reference), ("current", current)):
        shares = table["colour"].value_counts(normalize=True).sort_index()
        assert colour[side] == pytest.approx(shares.tolist())
    assert widget.summary == report.summary() and widget.drift_detected is True


@pytest.mark.parametrize(("severity", "status", "text", "level"), [
    ("major", "ok", "major drift", "major"),
    ("moderate", "ok", "moderate drift", "moderate"),
    ("none", "ok", "no drift", "none"),
    ("none", "insufficient_data", "too few rows", "untested"),
    ("none", "empty", "no values", "untested"),
    ("none", "not_testable", "not testable", "untested"),
])
def test_badge_text_per_severity_and_status(severity, status, text, level):
    from nbtrack.views.drift_widget import badge

    assert badge(severity, status) == (text, level)


def test_rows_are_strict_json_with_badges_and_missing_shares(report):
    widget = _widget(report)
    by_name = {f["feature"]: f for f in widget.features}
    assert (by_name["big"]["badge"], by_name["big"]["drifted"]) == ("major drift", True)
    few = by_name["few"]
    assert (few["badge"], few["status"], few["psi"], few["reference"]) == \
        ("too few rows", "insufficient_data", "nan", [])
    assert few["missing_reference"] == pytest.approx(0.99) and few["missingness_shift"] is False
    json.dumps(widget.features, allow_nan=False)  # the front end parses strict JSON


def test_drifted_only_and_expanded_are_synced_state(report):
    widget = _widget(report)
    assert widget.trait_metadata("drifted_only", "sync") is True
    assert widget.trait_metadata("expanded", "sync") is True
    state = widget.get_state()
    assert [f["feature"] for f in state["features"]] == ["big", "colour", "small", "few"]
    assert state["drifted_only"] is False and state["expanded"] == ""


def _shown(ip, report):
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        data, _ = ip.display_formatter.format(report)
    assert data == {}, "shown through _ipython_display_, in outputs of its own"
    return [dict(o.data) for o in captured.outputs]


def test_in_a_kernel_the_static_table_comes_first_then_the_widget(report, ip, monkeypatch):
    from ipywidgets.widgets.widget import _instances  # the live widgets, by model id

    monkeypatch.setattr(ip, "kernel", object(), raising=False)  # as in a notebook
    table, view = _shown(ip, report)
    assert sorted(table) == ["text/html", "text/plain"]
    assert table["text/html"] == report._repr_html_()
    assert "<table" in table["text/html"] and "<td>big</td>" in table["text/html"]
    assert table["text/plain"] == repr(report)
    widget = _instances[view[WIDGET_VIEW]["model_id"]]
    assert [f["feature"] for f in widget.features] == ["big", "colour", "small", "few"]
    # the widget's own text, kept in a saved notebook, is the verdict, not an address
    assert view["text/plain"] == f"drift report: {report.summary()}"


def test_outside_a_kernel_only_the_static_table(report, ip):
    assert getattr(ip, "kernel", None) is None, "terminal IPython: no front end for widgets"
    (table,) = _shown(ip, report)
    assert sorted(table) == ["text/html", "text/plain"]
    data, metadata = drift_bundle(report)
    assert data == table and metadata == {}


def test_without_anywidget_only_the_static_table(report, ip, monkeypatch):
    monkeypatch.setattr(ip, "kernel", object(), raising=False)
    monkeypatch.setitem(sys.modules, "anywidget", None)  # makes `import anywidget` fail
    monkeypatch.delitem(sys.modules, "nbtrack.views.drift_widget", raising=False)
    (table,) = _shown(ip, report)
    assert sorted(table) == ["text/html", "text/plain"] and "<table" in table["text/html"]


def test_the_monitor_report_still_embeds_the_static_drift_table(report):
    from nbtrack.monitoring.monitor import MonitorReport

    assert "_repr_mimebundle_" not in vars(MonitorReport), "its HTML is the whole view"
    assert report._repr_html_().startswith('<div class="nbtrack-drift">')


@pytest.mark.slow
def test_a_notebook_cell_shows_the_widget_and_keeps_the_table_for_nbconvert(tmp_path):
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in (
        "import numpy as np, pandas as pd, nbtrack\n"
        "rng = np.random.default_rng(0)\n"
        "a = pd.DataFrame({'x': rng.normal(0, 1, 500), 'y': rng.normal(0, 1, 500)})\n"
        "b = pd.DataFrame({'x': rng.normal(1, 1, 500), 'y': rng.normal(0, 1, 500)})",
        "nbtrack.drift(a, b)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    static, output = nb.cells[1].outputs
    assert (static.output_type, output.output_type) == ("display_data", "display_data")
    assert set(static.data) == {"text/html", "text/plain"}
    assert set(output.data) == {WIDGET_VIEW, "text/plain"}
    table = static.data["text/html"]
    assert table.startswith('<div class="nbtrack-drift">') and "<td>x</td>" in table
    assert table.index("<td>x</td>") < table.index("<td>y</td>"), "largest PSI first"
    state = nb.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    model = state[output.data[WIDGET_VIEW]["model_id"]]["state"]
    assert [f["feature"] for f in model["features"]] == ["x", "y"]
    assert model["features"][0]["badge"] == "major drift"

    # with the widget state nbclient saved, and as JupyterLab saves it (no widget state
    # unless asked): nbconvert, like GitHub, renders the static table, its own output
    page, _ = HTMLExporter().from_notebook_node(nb)
    visible = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    assert '<div class="nbtrack-drift">' in visible and "<td>x</td>" in visible
    del nb.metadata["widgets"]
    page, _ = HTMLExporter().from_notebook_node(nb)
    visible = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    assert '<div class="nbtrack-drift">' in visible and "<td>x</td>" in visible
    assert f'<script type="{WIDGET_VIEW}">' not in page, "no widget state: no widget view"
