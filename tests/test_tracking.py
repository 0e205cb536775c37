"""The tracking API: lifecycle, logging defaults and reads."""

from __future__ import annotations

import pytest

import nbtrack
from nbtrack.entities import RunStatus
from nbtrack.errors import InvalidValueError, NoActiveRunError


def test_context_manager_finishes_run(tracker):
    with tracker.start_run(name="ok", params={"C": 1}) as run:
        tracker.log_metric("acc", 0.9)
    got = tracker.get_run(run.run_id)
    assert got.status is RunStatus.FINISHED and got.metrics == {"acc": 0.9}
    assert got.params == {"C": 1} and got.end_time >= got.start_time


def test_exception_marks_failed_and_propagates_unchanged(tracker):
    error = ZeroDivisionError("boom")
    with pytest.raises(ZeroDivisionError) as info:
        with tracker.start_run() as run:
            raise error
    assert info.value is error
    got = tracker.get_run(run.run_id)
    assert got.status is RunStatus.FAILED
    assert "ZeroDivisionError: boom" in got.error and "Traceback" in got.error


def test_keyboard_interrupt_marks_interrupted(tracker):
    with pytest.raises(KeyboardInterrupt):
        with tracker.start_run() as run:
            raise KeyboardInterrupt
    assert tracker.get_run(run.run_id).status is RunStatus.INTERRUPTED


def test_nested_run_records_parent_and_outer_end_closes_inner(tracker):
    outer = tracker.start_run(name="outer")
    inner = tracker.start_run(name="inner")
    assert tracker.active_run() is inner
    tracker.end_run(outer)
    assert tracker.active_run() is None
    assert tracker.get_run(inner.run_id).parent_run_id == outer.run_id
    assert tracker.get_run(inner.run_id).status is RunStatus.FINISHED


def test_logging_without_a_run_says_what_to_do(tracker):
    with pytest.raises(NoActiveRunError, match="start_run"):
        tracker.log_metric("acc", 1.0)
    with pytest.raises(NoActiveRunError, match="%%track"):
        tracker.log_params({"a": 1})


def test_steps_default_to_the_next_step_per_metric(tracker):
    with tracker.start_run() as run:
        for value in (3.0, 2.0, 1.0):
            tracker.log_metric("loss", value)
        tracker.log_metric("acc", 0.5, step=10)
        tracker.log_metric("acc", 0.6)
    history = tracker.store.metric_history(run.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(0, 3.0), (1, 2.0), (2, 1.0)]
    assert [m.step for m in tracker.store.metric_history(run.run_id, "acc")] == [10, 11]


def test_numpy_values_are_accepted(tracker):
    np = pytest.importorskip("numpy")
    with tracker.start_run() as run:
        tracker.log_metric("acc", np.float32(0.5), step=np.int64(3))
        tracker.log_params({"n": np.int64(7), "lr": np.float64(0.1)})
    got = tracker.get_run(run.run_id)
    assert got.metrics == {"acc": 0.5} and got.params == {"n": 7, "lr": 0.1}
    assert type(got.params["n"]) is int


@pytest.mark.parametrize("call, message", [
    (lambda t: t.log_metric("acc", "high"), "must be a number"),
    (lambda t: t.log_metric("acc", None), "must be a number"),
    (lambda t: t.log_metric("acc", True), "must be a number"),
    (lambda t: t.log_metric("", 1.0), "must not be empty"),
    (lambda t: t.log_metric("a\nb", 1.0), "control characters"),
    (lambda t: t.log_metric("acc", 1.0, step=1.5), "step must be an integer"),
    (lambda t: t.log_metric("acc", 1.0, step=2**63), "64 bits"),
    (lambda t: t.log_params({"obj": object()}), "pass str"),
    (lambda t: t.log_params({3: 1}), "must be a string"),
])
def test_bad_values_are_refused_with_a_clear_message(tracker, call, message):
    with tracker.start_run():
        with pytest.raises(InvalidValueError, match=message):
            call(tracker)


def test_runs_dataframe_has_mlflow_columns(tracker):
    tracker.set_experiment("iris")
    for C in (0.1, 1.0):
        with tracker.start_run(name=f"C={C}", params={"C": C}, tags={"kind": "sweep"}):
            tracker.log_metric("acc", C / 2)
    df = tracker.runs(order_by="metrics.acc DESC")
    assert list(df.columns) == ["run_id", "experiment", "name", "status", "start_time",
                                "end_time", "duration", "params.C", "metrics.acc", "tags.kind"]
    assert df["metrics.acc"].tolist() == [0.5, 0.05]
    assert df["params.C"].tolist() == [1.0, 0.1]
    assert (df["status"] == "FINISHED").all() and (df["duration"] >= 0).all()
    assert str(df["start_time"].dt.tz) == "UTC"
    assert len(tracker.runs(filter="params.C < 0.5")) == 1


def test_runs_defaults_to_the_active_experiment(tracker):
    with tracker.start_run(experiment="a"):
        pass
    tracker.set_experiment("b")
    with tracker.start_run():
        pass
    assert tracker.runs()["experiment"].tolist() == ["b"]
    assert sorted(tracker.runs(experiment="a")["experiment"]) == ["a"]


def test_log_artifact_file_and_folder(tracker, tmp_path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "a.txt").write_text("A")
    (tmp_path / "d" / "sub" / "b.txt").write_text("B")
    with tracker.start_run() as run:
        tracker.log_artifact(tmp_path / "d" / "a.txt")
        tracker.log_artifact(tmp_path / "d", name="data")
    got = tracker.get_run(run.run_id)
    assert [a.name for a in got.artifacts] == ["a.txt", "data/a.txt", "data/sub/b.txt"]
    assert tracker.store.read_artifact(run.run_id, "data/sub/b.txt") == b"B"
    with tracker.start_run():
        with pytest.raises(InvalidValueError, match="no such file"):
            tracker.log_artifact(tmp_path / "missing")


def test_history_as_dataframe(tracker):
    with tracker.start_run() as run:
        for i in range(5):
            tracker.log_metric("loss", 1 / (i + 1))
    history = tracker.get_run(run.run_id).history("loss")
    assert history["step"].tolist() == [0, 1, 2, 3, 4]
    assert history["value"].iloc[-1] == pytest.approx(0.2)
    with pytest.raises(InvalidValueError) as info:
        tracker.get_run(run.run_id).history("los")
    assert str(info.value) == f"run {run.run_id} has no metric 'los' (its metrics: loss)"


def test_module_functions_use_the_discovered_store(tmp_path):
    with nbtrack.start_run(name="plain", params={"a": 1}) as run:
        nbtrack.log_metric("m", 2.0)
        nbtrack.set_tag("t", "v")
    assert (tmp_path / ".nbtrack" / "nbtrack.db").exists()
    got = nbtrack.get_run(run.run_id[:8])
    assert (got.params, got.metrics, got.tags) == ({"a": 1}, {"m": 2.0}, {"t": "v"})
    assert nbtrack.runs()["name"].tolist() == ["plain"]


def test_environment_is_captured_with_each_run(tmp_path):
    import json  # noqa: F401  (a module with no distribution must not break capture)

    import platform

    import numpy
    import pandas

    with nbtrack.start_run() as run:
        pass
    env = nbtrack.tracker().store.get_context(run.run_id)["environment"]
    assert env["python"] == platform.python_version()
    assert env["packages"]["pandas"] == pandas.__version__
    assert env["packages"]["numpy"] == numpy.__version__


@pytest.mark.parametrize("tail, status", [("", "FINISHED"), ("raise ValueError('late')", "FAILED")])
def test_runs_left_open_end_at_exit(python_env, tail, status):
    import subprocess
    import sys

    code = ("import nbtrack\nrun = nbtrack.start_run(name='open')\nnbtrack.log_param('p', 1)\n"
            "nbtrack.log_metric('m', 2.0)\nprint(run.run_id, flush=True)\n" + tail)
    out = subprocess.run([sys.executable, "-c", code], env=python_env, capture_output=True,
                         text=True)
    run = nbtrack.get_run(out.stdout.strip())
    assert run.status.value == status
    assert run.params == {"p": 1} and run.metrics == {"m": 2.0}
    if status == "FAILED":
        assert "ValueError: late" in run.error and "ValueError: late" in out.stderr


def test_confusion_matrix_counts_agree_with_scikit_learn(tracker):
    import json
    import random

    from sklearn.metrics import confusion_matrix

    rng = random.Random(3)
    truth = [rng.choice("abcd") for _ in range(200)]
    predicted = [rng.choice("abce") for _ in range(200)]
    with tracker.start_run() as run:
        tracker.log_confusion_matrix(truth, predicted)
        tracker.log_confusion_matrix(truth, predicted, labels=["b", "a"], name="two")
    for name, labels in (("confusion_matrix", sorted(set(truth) | set(predicted))),
                         ("two", ["b", "a"])):
        logged = json.loads(tracker.store.read_artifact(run.run_id, name))
        assert logged["labels"] == labels
        assert logged["matrix"] == confusion_matrix(truth, predicted, labels=labels).tolist()
