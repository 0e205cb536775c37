"""Serving logs split into windows: exact counts per window, health figures, and the
drift history stored as a monitor run and drawn as a static chart."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from nbtrack import registry
from nbtrack.errors import InvalidValueError
from nbtrack.monitoring.monitor import monitor_served
from nbtrack.monitoring.windows import (last_window, parse_duration, time_windows,
                                        window_health)
from nbtrack.store import open_store
from nbtrack.tracking import Tracker

HOUR, DAY = 3600.0, 86400.0


def rows_at(times, status=200, latency=0.01, rows=1):
    return [{"ts": t, "status": status, "latency": latency, "rows": rows} for t in times]


def test_durations_are_a_number_and_a_unit():
    assert [parse_duration(t) for t in ("30m", "6h", "1d", "2w", "45s", "1.5h")] == \
        [1800, 21600, 86400, 1209600, 45, 5400]
    for bad in ("1y", "d", "0h", "-1d", ""):
        with pytest.raises(InvalidValueError, match="is not a duration; write a number and "
                           "a unit: 30m, 6h, 1d or 2w"):
            parse_duration(bad)


def test_windows_are_consecutive_aligned_and_keep_empty_ones():
    times = [10 * HOUR, 10 * HOUR + 10, 11 * HOUR - 1, 11 * HOUR + 5, 13 * HOUR + 1,
             13 * HOUR + 2]
    windows = time_windows(rows_at(times), HOUR, 30)
    assert [(w.start, w.end, len(w.requests)) for w in windows] == [
        (10 * HOUR, 11 * HOUR, 3), (11 * HOUR, 12 * HOUR, 1), (12 * HOUR, 13 * HOUR, 0),
        (13 * HOUR, 14 * HOUR, 2)]
    assert [len(w.requests) for w in time_windows(rows_at(times), HOUR, 2)] == [0, 2]
    assert time_windows([], HOUR, 3) == []
    latest = last_window(rows_at(times), 4)
    assert len(latest) == 1 and [r["ts"] for r in latest[0].requests] == times[-4:]
    assert (latest[0].start, latest[0].end) == (times[2], times[-1])


def test_window_health_counts_errors_latency_and_rows_per_second():
    requests = (rows_at([0.0] * 8, latency=0.01, rows=5) + rows_at([1.0, 2.0], status=400,
                                                                      latency=0.002, rows=0))
    window = time_windows(requests, 100.0, 1)[0]
    health = window_health(window)
    latencies = np.array([0.01] * 8 + [0.002] * 2)
    assert (health.requests, health.errors, health.error_rate, health.rows) == (10, 2, 0.2, 40)
    assert (health.p50, health.p95, health.p99) == tuple(
        float(np.percentile(latencies, q)) for q in (50, 95, 99))
    assert health.throughput == 40 / 100.0
    empty = window_health(time_windows(rows_at([0.0, 250.0]), 100.0, 3)[1])
    assert empty.requests == 0 and np.isnan(empty.p95) and np.isnan(empty.error_rate)


@pytest.fixture
def served(tmp_path):
    """A registered model with a reference sample and three days of logged requests: 100
    rows a day in 20 requests, the third day's inputs shifted."""
    store = open_store(str(tmp_path / "store"))
    tracker = Tracker(store)
    rng = np.random.default_rng(3)
    train = pd.DataFrame({"a": rng.normal(size=3_000), "b": rng.normal(size=3_000)})
    with tracker.start_run():
        tracker.log_model(LogisticRegression().fit(train, train["a"] > 0), name="clf")
    registry.register_model(store, tracker.last_run_id, "scores", reference=train)
    registry.set_alias(store, "scores", "production", 1)
    logged = []
    for day in range(3):
        live = pd.DataFrame({"a": rng.normal(size=100) + (2.0 if day == 2 else 0.0),
                             "b": rng.normal(size=100)})
        for i in range(20):
            part = live.iloc[i * 5:(i + 1) * 5]
            logged.append((f"d{day}-{i}", 100 * DAY + day * DAY + i * 60.0, "scores", 1,
                           200 if i else 500, 0.001 * (i + 1), 5,
                           json.dumps(part.to_dict("split")), None))
    store.backend.registry.log_requests(logged)
    yield store
    store.close()


def test_monitor_by_day_gives_a_drift_history_stored_as_a_monitor_run(served):
    tracker = Tracker(served)
    report = monitor_served(tracker, "scores@production", window="1d")
    assert [w.health.requests for w in report.windows] == [20, 20, 20]
    assert [w.health.start for w in report.windows] == [100 * DAY, 101 * DAY, 102 * DAY]
    assert [w.health.error_rate for w in report.windows] == [0.05] * 3
    assert [w.drift.n_current for w in report.windows] == [95, 95, 95]  # 500s: no inputs
    assert [w.drift.drift_detected for w in report.windows] == [False, False, True]
    assert report.drift_detected and report.drift.drifted == ["a"]
    run = served.get_run(report.run_id)
    assert run.tags["nbtrack.kind"] == "monitor" and run.tags["nbtrack.window"] == "1d"
    history = served.metric_history(run.run_id, "drift.share")
    assert [p.step for p in history] == [0, 1, 2] and history[-1].value == 0.5
    assert [p.value for p in served.metric_history(run.run_id, "requests")] == [20, 20, 20]
    page = report._repr_html_()
    assert page.count("<svg") == 5 + 2  # five history panels, the two features' bars
    assert "3 windows of 1d" in page and "#c62828" in page
    assert len(monitor_served(tracker, "scores/1", window="1d", windows=2,
                              record=False).windows) == 2


def test_the_command_takes_a_window_and_prints_each_one(served, capsys):
    from nbtrack.cli import main

    assert main(["--store", served.uri, "monitor", "scores@production", "--window", "1d",
                 "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["window"] == "1d" and [w["requests"] for w in data["windows"]] == [20] * 3
    assert [w["drift_detected"] for w in data["windows"]] == [False, False, True]
    assert data["drifted"] == ["a"]
    assert main(["--store", served.uri, "monitor", "scores@production", "--window",
                 "1y"]) == 1
    assert "window '1y' is not a duration" in capsys.readouterr().err


def test_the_line_magic_monitors_with_windows_and_has_help(ip, served, capsys):
    import nbtrack

    nbtrack.tracker().use_store(served)
    report = ip.run_line_magic("track", "monitor scores@production --window 1d --no-record")
    assert [w.health.requests for w in report.windows] == [20, 20, 20]
    assert report.run_id is None and report.drift_detected
    ip.user_ns["X_train"] = pd.DataFrame({"a": np.linspace(5, 6, 500),
                                          "b": np.linspace(-1, 1, 500)})
    other = ip.run_line_magic("track", "monitor scores/1 --last 20 --reference X_train "
                                       "--no-record")
    assert len(other.windows) == 1 and other.requests == 20 and other.n_reference == 500
    capsys.readouterr()
    assert ip.run_line_magic("track", "monitor --help") is None
    shown = capsys.readouterr().out
    assert "%track monitor [--window WINDOW]" in shown and "Health and input drift" in shown
    from IPython.core.error import UsageError

    with pytest.raises(UsageError, match="no variable 'nothing' in the notebook"):
        ip.run_line_magic("track", "monitor scores/1 --reference nothing")


def test_checks_and_rules_go_to_the_experiment_of_the_versions_training_run(tmp_path):
    from nbtrack.cli import main
    from nbtrack.monitoring.triggers import set_monitor_rule

    store = open_store(str(tmp_path / "store"))
    tracker = Tracker(store)
    train = pd.DataFrame({"a": np.random.default_rng(4).normal(size=500), "b": 1.0})
    with tracker.start_run(experiment="fraud-models") as run:
        tracker.log_model(LogisticRegression().fit(train, train["a"] > 0), name="clf")
    registry.register_model(store, run.run_id, "fraud", reference=train)
    registry.set_alias(store, "fraud", "production", 1)
    store.backend.registry.log_requests([
        ("q1", 100 * DAY, "fraud", 1, 200, 0.001, 50,
         json.dumps(train.head(50).to_dict("split")), None)])
    set_monitor_rule(Tracker(store), "fraud", "drift.share >= 0.5")
    store.flush()
    # from a shell: the tracker there has no experiment of its own
    assert main(["--store", store.uri, "monitor", "fraud@production", "--json"]) == 0
    runs = [store.get_run(i) for i in store.search(None).run_ids]
    where = {r.tags.get("nbtrack.kind", "training"): r.experiment for r in runs}
    assert where == {"training": "fraud-models", "monitor": "fraud-models",
                     "monitor_rule": "fraud-models"}
    store.close()
