"""Prediction drift: the answers a served version logged against the answers its model
gives on the version's reference sample, by the same tests as its inputs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from nbtrack import registry
from nbtrack.monitoring.monitor import monitor_served
from nbtrack.monitoring.predictions import prediction_drift
from nbtrack.store import open_store
from nbtrack.tracking import Tracker


@pytest.fixture
def served(tmp_path):
    """A classifier of ``a > 0`` registered with its training sample; returns the store
    and a function logging ``rows`` requests of inputs shifted by ``shift`` with the
    model's own answers."""
    store = open_store(str(tmp_path / "store"))
    rng = np.random.default_rng(3)
    train = pd.DataFrame({"a": rng.normal(size=2_000), "b": rng.normal(size=2_000)})
    model = LogisticRegression().fit(train, train["a"] > 0)
    tracker = Tracker(store)
    with tracker.start_run() as run:
        tracker.log_model(model, name="clf")
    registry.register_model(store, run.run_id, "churn", reference=train)

    def log(shift: float, rows: int = 1_000, seed: int = 0, start: float = 1e9) -> None:
        live = pd.DataFrame({"a": rng.normal(size=rows) + shift, "b": rng.normal(size=rows)})
        answers = model.predict(live)
        store.backend.registry.log_requests([
            (f"r{seed}-{i}", start + i, "churn", 1, 200, 0.002, 10,
             json.dumps(live.iloc[i * 10:(i + 1) * 10].to_dict("split")),
             json.dumps(answers[i * 10:(i + 1) * 10].tolist()))
            for i in range(rows // 10)])

    yield store, log
    store.close()


def test_predictions_that_move_with_the_inputs_are_flagged(served):
    store, log = served
    log(shift=1.0)
    report = monitor_served(Tracker(store), "churn/1", record=True)
    found = report.latest.predictions
    (row,) = found.features.to_dict("records")
    assert row["feature"] == "prediction" and row["type"] == "categorical"
    assert row["n_reference"] == 2_000 and row["n_current"] == 1_000
    # about half the reference rows are positive, about 84 % of the shifted ones
    assert row["psi"] > 0.25 and row["drifted"]
    values = report.latest.values()
    assert values["prediction.psi"] == pytest.approx(row["psi"])
    assert values["prediction.drifted"] == 1.0
    assert "predictions: drifted (PSI" in repr(report)
    run = store.get_run(report.run_id)
    assert run.metrics["prediction.psi"] == pytest.approx(row["psi"])


def test_predictions_like_the_reference_ones_are_not(served):
    store, log = served
    log(shift=0.0)
    values = monitor_served(Tracker(store), "churn/1", record=False).latest.values()
    assert values["prediction.psi"] < 0.1 and values["prediction.drifted"] == 0.0


def test_the_figures_are_those_of_drift_on_one_prediction_column(served):
    reference = np.array([0] * 600 + [1] * 400)
    current = [0] * 300 + [1] * 700
    report = prediction_drift(reference, current)
    direct_share_ref, direct_share_cur = np.array([0.6, 0.4]), np.array([0.3, 0.7])
    expected = float(np.sum((direct_share_cur - direct_share_ref)
                            * np.log(direct_share_cur / direct_share_ref)))
    assert report.features.loc[0, "psi"] == pytest.approx(expected, abs=1e-12)
    assert prediction_drift(reference, []) is None


def test_a_version_that_cannot_predict_on_its_sample_says_why_and_checks_inputs(served):
    store, log = served
    log(shift=1.0)
    # a reference of one of the model's two inputs: the model cannot predict on it
    only_a = pd.DataFrame({"a": np.random.default_rng(5).normal(size=500)})
    report = monitor_served(Tracker(store), "churn/1", reference=only_a, record=False)
    assert report.latest.predictions is None
    assert any(n.startswith("no prediction drift: churn/1 could not predict") for n in
               report.notes)
    assert report.drift is not None and report.drift.drifted == ["a"]
