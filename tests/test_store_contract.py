"""The store contract: every backend must pass every test here."""

from __future__ import annotations

import math
import time

import pytest

from nbtrack.entities import Artifact, Metric, Run, RunStatus
from nbtrack.errors import (AmbiguousRunIdError, ArtifactCorruptError, InvalidValueError,
                            RunNotFoundError)
from nbtrack.filters import parse_filter, parse_order_by
from nbtrack.ids import new_run_id

pytestmark = pytest.mark.backends("memory", "sqlite", "postgres")

def make_run(store, run_id=None, experiment="exp", name=None, params=None, metrics=None,
             tags=None, status=RunStatus.FINISHED, start=None):
    start = time.time() if start is None else start
    run = Run(run_id or new_run_id(start), experiment=experiment, name=name, start_time=start,
              params=params or {}, tags=tags or {})
    store.create_run(run, {"source": "x = 1"}, {"python": "3"})
    if metrics:
        store.log_batch(run.run_id, metrics=[Metric(k, v, 0, start) for k, v in metrics.items()])
    if status is not RunStatus.RUNNING:
        store.end_run(run.run_id, status, start + 1.5)
    return run.run_id


def search_ids(store, text=None, order=None, **kw):
    table = store.search(parse_filter(text) if text else None, parse_order_by(order), **kw)
    return table.base["run_id"]


def test_created_run_reads_back(store):
    run_id = make_run(store, name="baseline", params={"C": 0.5, "model": "rf", "layers": [64, 32],
                                                        "flag": True, "none": None, "n": 10},
                      metrics={"acc": 0.93}, tags={"team": "vision"})
    run = store.get_run(run_id)
    assert run.name == "baseline" and run.experiment == "exp"
    assert run.status is RunStatus.FINISHED and run.duration == pytest.approx(1.5)
    assert run.params == {"C": 0.5, "model": "rf", "layers": [64, 32], "flag": True,
                          "none": None, "n": 10}
    assert type(run.params["n"]) is int and type(run.params["flag"]) is bool
    assert run.metrics == {"acc": 0.93}
    assert run.tags == {"team": "vision"}
    assert store.get_context(run_id) == {"source": "x = 1", "environment": {"python": "3"}}


def test_own_writes_are_visible_before_any_flush(store):
    run_id = make_run(store, status=RunStatus.RUNNING)
    store.log_batch(run_id, params=[("lr", 0.1)])
    assert store.get_run(run_id).params == {"lr": 0.1}


def test_latest_metric_is_highest_step_and_history_keeps_all(store):
    run_id = make_run(store, status=RunStatus.RUNNING)
    t = time.time()
    store.log_batch(run_id, metrics=[Metric("loss", 0.5, 2, t), Metric("loss", 0.9, 0, t),
                                     Metric("loss", 0.7, 1, t)])
    store.log_batch(run_id, metrics=[Metric("loss", 0.8, 1, t + 1)])
    assert store.get_run(run_id).metrics["loss"] == 0.5
    history = store.metric_history(run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(0, 0.9), (1, 0.7), (1, 0.8), (2, 0.5)]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -0.0, 5e-324,
                                   1.7976931348623157e308])
def test_special_floats_round_trip(store, value):
    run_id = make_run(store, params={"p": value}, metrics={"m": value})
    run = store.get_run(run_id)
    for got in (run.params["p"], run.metrics["m"], store.metric_history(run_id, "m")[0].value):
        if math.isnan(value):
            assert math.isnan(got)
        else:
            assert got == value and math.copysign(1, got) == math.copysign(1, value)


def test_end_run_records_status_and_error(store):
    run_id = make_run(store, status=RunStatus.RUNNING)
    store.end_run(run_id, RunStatus.FAILED, time.time(), "Traceback ...\nZeroDivisionError")
    run = store.get_run(run_id)
    assert run.status is RunStatus.FAILED and "ZeroDivisionError" in run.error


@pytest.fixture
def populated(store):
    t0 = 1_800_000_000.0
    ids = {}
    for i, (model, acc, C) in enumerate([("rf", 0.91, 1), ("rf", 0.85, 10), ("lr", 0.95, 0.1),
                                         ("svm", 0.70, 1), ("lr", 0.99, 100)]):
        ids[i] = make_run(store, name=f"run{i}", params={"model": model, "C": C},
                          metrics={"acc": acc}, tags={"split": "a" if i % 2 else "b"},
                          start=t0 + i, status=RunStatus.FAILED if i == 3 else RunStatus.FINISHED)
    make_run(store, experiment="other", name="elsewhere", params={"model": "rf"},
             metrics={"acc": 0.5}, start=t0 + 10)
    return ids


@pytest.mark.parametrize("text, expected", [
    ("metrics.acc > 0.9", [4, 2, 0]),
    ("metrics.acc >= 0.91 and params.model = 'rf'", [0]),
    ("params.model != 'rf'", [4, 3, 2]),
    ("params.C > 5", [4, 1]),
    ("params.C = 1", [3, 0]),
    ("params.C <= 1", [3, 2, 0]),
    ("params.C = '1'", [3, 0]),
    ("params.C IN ('0.1', 100)", [4, 2]),
    ("params.model > 'q'", [3, 1, 0]),
    ("params.model < 'q'", [4, 2]),
    ("params.C > 0.5 and params.C < 50", [3, 1, 0]),
    ("params.model IN ('lr', 'svm')", [4, 3, 2]),
    ("params.model NOT IN ('lr', 'svm')", [1, 0]),
    ("params.model LIKE 'r%'", [1, 0]),
    ("params.model LIKE 'R%'", []),
    ("params.model ILIKE 'R%'", [1, 0]),
    ("tags.split = 'a'", [3, 1]),
    ("attributes.status = 'FAILED'", [3]),
    ("status != 'FAILED'", [4, 2, 1, 0]),
    ("attributes.status LIKE 'fin%'", []),
    ("attributes.status LIKE 'FIN%'", [4, 2, 1, 0]),
    ("name LIKE 'run1'", [1]),
    ("metrics.acc > 0.9 or attributes.status = 'FAILED'", [4, 3, 2, 0]),
    ("(params.model = 'rf' or params.model = 'svm') and metrics.acc < 0.9", [3, 1]),
    ("metrics.missing > 0", []),
    ("metrics.missing IS NULL", [4, 3, 2, 1, 0]),
    ("attributes.start_time >= 1800000003", [4, 3]),
])
def test_filters_select_the_right_runs(store, populated, text, expected):
    assert search_ids(store, text, experiment="exp") == [populated[i] for i in expected]


@pytest.mark.parametrize("order, expected", [
    ("metrics.acc DESC", [4, 2, 0, 1, 3]),
    ("metrics.acc", [3, 1, 0, 2, 4]),
    ("params.C DESC, metrics.acc", [4, 1, 3, 0, 2]),
    ("params.model, metrics.acc desc", [4, 2, 0, 1, 3]),
    ("start_time", [0, 1, 2, 3, 4]),
    (None, [4, 3, 2, 1, 0]),
])
def test_order_by(store, populated, order, expected):
    assert search_ids(store, None, order, experiment="exp") == [populated[i] for i in expected]


def test_limit_offset_and_count(store, populated):
    page = search_ids(store, None, "metrics.acc DESC", experiment="exp", limit=2, offset=1)
    assert page == [populated[2], populated[0]]
    assert store.count(experiment="exp") == 5
    assert store.count(parse_filter("params.model = 'rf'")) == 3
    assert sorted(store.experiments()) == ["exp", "other"]


def test_search_table_aligns_columns(store, populated):
    table = store.search(None, parse_order_by("start_time"), experiment="exp")
    assert table.params["model"] == ["rf", "rf", "lr", "svm", "lr"]
    assert table.metrics["acc"] == [0.91, 0.85, 0.95, 0.70, 0.99]
    assert table.tags["split"] == ["b", "a", "b", "a", "b"]
    assert table.base["status"][3] == "FAILED"


def test_nan_differs_from_every_number_and_sorts_between_numbers_and_missing(store):
    t0 = 1_800_000_000.0
    ids = [make_run(store, name=f"r{i}", metrics=m, start=t0 + i) for i, m in enumerate(
        [{"x": 0.5}, {"x": math.nan}, {}, {"x": -math.inf}, {"x": 0.0}])]
    assert search_ids(store, "metrics.x != 0") == [ids[3], ids[1], ids[0]]
    assert search_ids(store, "metrics.x NOT IN (0.5)") == [ids[4], ids[3], ids[1]]
    assert search_ids(store, "metrics.x > -1e300") == [ids[4], ids[0]]
    assert search_ids(store, None, "metrics.x") == [ids[3], ids[4], ids[0], ids[1], ids[2]]
    assert search_ids(store, None, "metrics.x DESC") == [ids[0], ids[4], ids[3], ids[1],
                                                         ids[2]]


def test_quoted_literals_see_a_param_as_mlflow_holds_it(store):
    t0 = 1_800_000_000.0
    values = [None, {"a": 1}, [64, 32], 1e-05, True, 1, 1.0, "C:\\temp", 9, 10]
    ids = [make_run(store, params={"p": v}, start=t0 + i) for i, v in enumerate(values)]
    assert search_ids(store, "params.p = 'None'") == [ids[0]]
    assert search_ids(store, "params.p = \"{'a': 1}\"") == [ids[1]]
    assert search_ids(store, "params.p = '[64, 32]'") == [ids[2]]
    assert search_ids(store, "params.p LIKE '1e-%'") == [ids[3]]
    assert search_ids(store, "params.p = 'True'") == [ids[4]]
    assert search_ids(store, "params.p = '1'") == [ids[5]]
    assert search_ids(store, "params.p = '1.0'") == [ids[6]]
    assert search_ids(store, "params.p = 1") == [ids[6], ids[5]]  # typed: 1 == 1.0
    assert search_ids(store, "params.p = 'C:\\temp'") == [ids[7]]
    assert search_ids(store, "params.p > '9'") == [ids[9]]  # a quoted number ranges as one
    assert search_ids(store, None, "params.p")[:5] == [ids[3], ids[6], ids[5], ids[8], ids[9]]


def test_a_search_result_reads_as_one_record_per_run(store, populated):
    running = make_run(store, name="open", params={"model": "rf"}, status=RunStatus.RUNNING,
                       start=1_800_000_010.0)
    table = store.search(None, parse_order_by("start_time"), experiment="exp")
    records = table.records()
    assert table.run_ids == [populated[i] for i in range(5)] + [running]
    first = records[0]
    assert (first["run_id"], first["experiment"], first["name"], first["status"]) == \
        (populated[0], "exp", "run0", "FINISHED")
    assert first["start_time"] == 1_800_000_000.0 and first["duration"] == 1.5
    assert first["params"] == {"model": "rf", "C": 1} and first["metrics"] == {"acc": 0.91}
    assert first["tags"] == {"split": "b"}
    last = records[-1]
    assert last["duration"] is None and last["end_time"] is None
    assert last["params"] == {"model": "rf"} and last["metrics"] == {} and last["tags"] == {}


def test_prefix_lookup(store):
    a = make_run(store, run_id="r-aaaa11111111")
    make_run(store, run_id="r-aaaa22222222")
    assert store.get_run("aaaa1").run_id == a
    assert store.get_run("R-AAAA1111").run_id == a
    with pytest.raises(AmbiguousRunIdError, match="r-aaaa11111111"):
        store.get_run("r-aaaa")
    with pytest.raises(RunNotFoundError, match="nbtrack runs"):
        store.get_run("r-zzzz")
    with pytest.raises(InvalidValueError, match="at least 4"):
        store.get_run("aaa")


def test_artifacts_are_content_addressed_and_checked(store, tmp_path, tamper):
    run_id = make_run(store, status=RunStatus.RUNNING)
    f = tmp_path / "notes.txt"
    f.write_text("hello")
    a = store.add_artifact(run_id, Artifact("notes.txt", "", 0), source_path=str(f))
    b = store.add_artifact(run_id, Artifact("copy/notes.txt", "", 0), data=b"hello")
    assert a.sha256 == b.sha256 and a.size == 5
    assert store.read_artifact(run_id, "copy/notes.txt") == b"hello"
    assert [x.name for x in store.get_run(run_id).artifacts] == ["copy/notes.txt", "notes.txt"]
    assert store.fsck() == []
    tamper(store, a.sha256, b"jello")
    with pytest.raises(ArtifactCorruptError, match="fsck"):
        store.read_artifact(run_id, "notes.txt")
    assert any("corrupt" in p for p in store.fsck())


def test_gc_finds_only_unreferenced_content(store):
    run_id = make_run(store, status=RunStatus.RUNNING)
    store.add_artifact(run_id, Artifact("kept", "", 0), data=b"kept")
    orphan, _ = store.backend.content.put_bytes(b"orphan")
    assert store.gc(dry_run=True, min_age=0) == [orphan]
    assert store.gc(dry_run=False, min_age=0) == [orphan]
    assert store.gc(dry_run=True, min_age=0) == []
    assert store.read_artifact(run_id, "kept") == b"kept"


def test_dead_process_runs_become_killed(store):
    dead_pid = _dead_pid()
    now = time.time()
    ghost = Run(new_run_id(), experiment="exp", start_time=now - 5, host=store.backend.host,
                pid=dead_pid, heartbeat=now - 2)
    stale = Run(new_run_id(), experiment="exp", start_time=now - 1000, host="elsewhere",
                pid=1, heartbeat=now - 999)
    alive = Run(new_run_id(), experiment="exp", start_time=now, host="elsewhere", pid=1,
                heartbeat=now)
    for r in (ghost, stale, alive):
        store.create_run(r)
    store.flush()
    store.buffer.open_runs.clear()  # as if another process had created them
    assert sorted(store.reap_dead_runs()) == sorted([ghost.run_id, stale.run_id])
    killed = store.get_run(ghost.run_id)
    assert killed.status is RunStatus.KILLED and killed.end_time == pytest.approx(now - 2)
    assert store.get_run(alive.run_id).status is RunStatus.RUNNING


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_bulk_import(store):
    runs = [Run(new_run_id(), experiment="bulk", status=RunStatus.FINISHED, start_time=i,
                end_time=i + 1.0, params={"i": i}, metrics={"m": i / 10}) for i in range(250)]
    assert store.bulk_import(runs, batch_size=100) == 250
    assert store.count(parse_filter("metrics.m >= 20")) == 50
    assert store.get_run(runs[7].run_id).params == {"i": 7}


def test_unflushed_writes_survive_a_failed_flush(store, monkeypatch):
    run_id = make_run(store, status=RunStatus.RUNNING)
    store.flush()
    store.log_batch(run_id, params=[("kept", 1)])
    calls = []

    def broken(ops):
        calls.append(len(ops))
        raise OSError("disk full")

    monkeypatch.setattr(store.backend, "apply", broken)
    with pytest.raises(OSError):
        store.flush()
    monkeypatch.undo()
    assert calls == [1]
    assert store.get_run(run_id).params == {"kept": 1}


def test_repeated_search_sees_new_runs_from_this_and_other_connections(store, tmp_path):
    make_run(store, name="first")
    assert store.search().base["name"] == ["first"]
    make_run(store, name="second", start=time.time() + 1)
    assert store.search().base["name"] == ["second", "first"]
    table = store.search()
    table.base["name"].clear()
    assert store.search().base["name"] == ["second", "first"], "callers get their own copy"
    if store.uri == "memory:":
        return
    from nbtrack.store import open_store

    other = open_store(store.uri)
    make_run(other, name="third", start=time.time() + 2)
    other.flush()
    assert store.search().base["name"] == ["third", "second", "first"]
    other.close()


def test_and_gives_the_same_runs_whichever_condition_drives(store):
    runs = [Run(new_run_id(), experiment="e", status=RunStatus.FINISHED, start_time=i,
                end_time=i + 1.0, params={"model": "rf" if i % 3 else "lr"},
                metrics={"acc": i / 300}) for i in range(300)]
    store.bulk_import(runs)
    expected = sorted(r.run_id for r in runs
                      if r.metrics["acc"] > 0.95 and r.params["model"] == "rf")
    for text in ("metrics.acc > 0.95 and params.model = 'rf'",
                 "params.model = 'rf' and metrics.acc > 0.95",
                 "params.model = 'rf' and metrics.acc > 0.95 and status = 'FINISHED'"):
        assert sorted(search_ids(store, text)) == expected
