"""%track <command>: experiment, runs, show, log, status, help and bad input."""

from __future__ import annotations

import pandas as pd
import pytest
from IPython.core.error import UsageError

import nbtrack


def cell(ip, body, cell_id=None):
    assert ip.run_cell("%%track --quiet\n" + body, store_history=True, cell_id=cell_id).success


def test_experiment_sets_where_runs_go(ip, capsys):
    ip.run_line_magic("track", "experiment iris")
    assert "experiment: iris" in capsys.readouterr().out
    cell(ip, "a = 1")
    assert nbtrack.runs()["experiment"].tolist() == ["iris"]


def test_runs_returns_a_dataframe_with_filter_sort_limit(ip):
    for c in (1, 2, 3):
        cell(ip, f"C = {c}\nacc = C / 10")
    df = ip.run_line_magic("track", "runs --filter 'metrics.acc > 0.15' --sort 'params.C desc'")
    assert isinstance(df, pd.DataFrame)
    assert df["params.C"].tolist() == [3, 2]
    assert len(ip.run_line_magic("track", "runs -n 1")) == 1


def test_runs_reads_on_screen_and_wide_has_every_column(ip):
    cell(ip, "from sklearn.linear_model import LogisticRegression\n"
             "from sklearn.datasets import load_iris\n"
             "X, y = load_iris(return_X_y=True)\nC = 0.5\n"
             "clf = LogisticRegression(C=C, max_iter=300).fit(X, y)\nacc = clf.score(X, y)")
    df = ip.run_line_magic("track", "runs")
    assert list(df.columns) == ["run_id", "name", "status", "start_time", "duration",
                                "metrics.acc", "params.C"]
    assert df["start_time"][0].nanosecond == 0 and df["start_time"][0].microsecond == 0
    wide = ip.run_line_magic("track", "runs --wide")
    assert {"experiment", "end_time", "params.clf.max_iter"} <= set(wide.columns)
    assert len(wide.columns) > len(df.columns)


def test_runs_of_the_last_cell(ip):
    cell(ip, "x = 1", cell_id="one")
    cell(ip, "y = 2", cell_id="two")
    cell(ip, "y = 3", cell_id="two")
    df = ip.run_line_magic("track", "runs --cell")
    assert len(df) == 2 and set(df["params.y"]) == {2, 3}
    assert len(ip.run_line_magic("track", "runs --cell one")) == 1


def test_show_prints_a_run(ip, capsys):
    cell(ip, "C = 0.5\nacc = C + 0.4")
    run_id = nbtrack.runs()["run_id"][0]
    capsys.readouterr()
    ip.run_line_magic("track", f"show {run_id[:12]}")
    out = capsys.readouterr().out
    assert run_id in out and "C = 0.5" in out and "acc = 0.9" in out


def test_log_adds_metrics_and_tags_to_the_last_run(ip):
    cell(ip, "a = 1")
    ip.run_line_magic("track", "log val_acc=0.91 note=checked")
    run = nbtrack.get_run(nbtrack.runs()["run_id"][0])
    assert run.metrics["val_acc"] == 0.91 and run.tags["note"] == "checked"


def test_status_line(ip, capsys):
    cell(ip, "a = 1")
    ip.run_line_magic("track", "status")
    out = capsys.readouterr().out.strip()
    assert out.startswith("nbtrack ") and "1 run" in out and "experiment" in out
    assert out.count("\n") == 0


@pytest.mark.parametrize("command", ["runs", "show", "log", "experiment", "compare",
                                     "export", "reproduce"])
def test_every_command_has_help(ip, capsys, command):
    ip.run_line_magic("track", f"{command} --help")
    assert f"%track {command}" in capsys.readouterr().out


def test_cell_magic_help(ip, capsys):
    ip.run_line_magic("track", "--help")
    out = capsys.readouterr().out
    assert "--no-models" in out and "--params" in out


@pytest.mark.parametrize("line, words", [
    ("frobnicate", "unknown command"),
    ("runs --filter 'metrics.acc >'", "bad filter"),
    ("runs --limit many", "invalid int"),
    ("show r-zzzzzzzz", "no run matches"),
    ("log novalue", "key=value"),
    ("experiment", "the following arguments are required"),
])
def test_bad_input_is_a_one_line_usage_error(ip, line, words):
    cell(ip, "a = 1")
    with pytest.raises(UsageError, match=words) as info:
        ip.run_line_magic("track", line)
    assert "\n" not in str(info.value)


def test_compare_shows_the_runs_side_by_side(ip):
    cell(ip, "C = 1\nacc = C / 4", cell_id="sweep")
    cell(ip, "C = 2\nacc = C / 4", cell_id="sweep")
    cell(ip, "other = 5", cell_id="elsewhere")
    view = ip.run_line_magic("track", "compare --cell sweep")
    assert len(view.run_ids) == 2 and view.differing_params() == ["C"]
    bundle = view.static._repr_mimebundle_()
    assert "nbtrack-compare" in bundle["text/html"] and "*params.C" in bundle["text/plain"]


def test_unload_removes_the_magics(ip):
    ip.run_line_magic("unload_ext", "nbtrack")
    assert "track" not in ip.magics_manager.magics["cell"]
    ip.run_line_magic("load_ext", "nbtrack")
    assert "track" in ip.magics_manager.magics["cell"]
