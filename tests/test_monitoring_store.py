"""What monitoring keeps in the store behaves the same on every backend: the reference
sample of a version, the model's retrain rule, monitor runs and the retrain cooldown."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from nbtrack import registry
from nbtrack.monitoring.monitor import monitor_served
from nbtrack.monitoring.reference import REFERENCE_TAG, load_reference, reservoir_indices
from nbtrack.monitoring.triggers import _blocked, monitor_rule, set_monitor_rule

pytestmark = pytest.mark.backends("memory", "sqlite", "postgres")


def test_sample_rule_and_monitor_runs_round_trip(tracker):
    store = tracker.store
    rng = np.random.default_rng(5)
    train = pd.DataFrame({"a": rng.normal(size=12_000), "b": rng.normal(size=12_000),
                          "city": rng.choice(["x", "y", "z"], 12_000)})
    with tracker.start_run():
        tracker.log_model(LogisticRegression().fit(train[["a", "b"]], train["a"] > 0),
                          name="clf", signature={"inputs": [{"name": "a", "type": "float64"},
                                                            {"name": "b", "type": "float64"}]})
    version = registry.register_model(store, tracker.last_run_id, "m", reference=train)
    assert registry.resolve(store, "m/1").tags[REFERENCE_TAG] == version.tags[REFERENCE_TAG]
    kept = load_reference(store, registry.resolve(store, "m/1"))
    assert kept.columns.tolist() == ["a", "b"]  # the model's inputs only
    assert np.array_equal(kept.to_numpy(),
                          train.iloc[reservoir_indices(12_000)][["a", "b"]].to_numpy())

    assert monitor_rule(store, "m") is None
    set_monitor_rule(tracker, "m", "drift.share >= 0.5")
    time.sleep(0.01)
    set_monitor_rule(tracker, "m", "error_rate > 0.2 or drift.max_psi >= 0.25")
    assert monitor_rule(store, "m") == "error_rate > 0.2 or drift.max_psi >= 0.25"

    live = train.iloc[:100][["a", "b"]].assign(a=lambda f: f["a"] + 4)
    store.backend.registry.log_requests([
        (f"q{i}", 5_000.0 + i, "m", 1, 200, 0.002, 10,
         json.dumps(live.iloc[i * 10:(i + 1) * 10].to_dict("split")), None) for i in range(10)])
    report = monitor_served(tracker, "m/1")
    assert report.rule.fired and report.fired
    run = store.get_run(report.run_id)
    assert (run.tags["nbtrack.kind"], run.tags["nbtrack.rule_fired"]) == ("monitor", "true")
    assert run.metrics["drift.max_psi"] == report.drift.max_psi

    set_monitor_rule(tracker, "m", None)
    assert monitor_rule(store, "m") is None
    assert not monitor_served(tracker, "m/1", record=False).rule


def test_the_cooldown_sees_running_and_recent_retrains(tracker):
    store = tracker.store
    tags = {"nbtrack.kind": "retrain", "nbtrack.model": "m"}
    assert _blocked(store, "m", 3600, time.time()) is None
    with tracker.start_run(name="retrain m", tags=tags, capture_environment=False) as run:
        store.flush()
        assert "is running (run " + run.run_id in _blocked(store, "m", 0, time.time())
    assert "the cooldown of 1 h lasts until" in _blocked(store, "m", 3600, time.time())
    assert _blocked(store, "m", 3600, time.time() + 3601) is None
    assert _blocked(store, "other", 3600, time.time()) is None

