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
from nbtrack.monitoring.triggers import _running, monitor_rule, set_monitor_rule
from nbtrack.store import open_store

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


def test_the_cooldown_is_claimed_in_the_registry_and_a_running_retrain_blocks(tracker):
    store = tracker.store
    assert registry.claim_retrain(store, "m", 1, 3600) is None
    first = [e for e in store.backend.registry.events("m") if e.op == "retrain"]
    assert [(e.op, e.version) for e in first] == [("retrain", 1)]
    assert registry.claim_retrain(store, "m", 2, 3600) == first[0].ts
    assert registry.claim_retrain(store, "other", 1, 3600) is None
    assert registry.claim_retrain(store, "m", 2, 0) is None
    assert [e.version for e in store.backend.registry.events("m")] == [1, 2]
    assert registry.history_frame(store, "m")["op"].tolist() == ["retrain", "retrain"]

    assert _running(store, "m") is None
    tags = {"nbtrack.kind": "retrain", "nbtrack.model": "m"}
    with tracker.start_run(name="retrain m", tags=tags, capture_environment=False) as run:
        store.flush()
        assert _running(store, "m") == (f"a retrain of m is running (run {run.run_id}); not "
                                        "starting another")
        assert _running(store, "other") is None
    assert _running(store, "m") is None


_CLAIM = """
import sys
from nbtrack import registry
from nbtrack.store import open_store
store = open_store(sys.argv[1])
print("started" if registry.claim_retrain(store, "m", 1, 3600) is None else "held back")
"""


@pytest.mark.slow
def test_of_triggers_at_once_one_starts(shared_store_uri, python_env):
    import subprocess
    import sys

    open_store(shared_store_uri).close()
    procs = [subprocess.Popen([sys.executable, "-c", _CLAIM, shared_store_uri], env=python_env,
                              stdout=subprocess.PIPE, text=True) for _ in range(4)]
    answers = sorted(p.communicate(timeout=120)[0].strip() for p in procs)
    assert answers == ["held back"] * 3 + ["started"]
