"""Labels of served requests: stored on every backend (schema version 6, a forward
migration from 5), joined to the logged predictions, and turned into each window's
realised performance against the version's recorded metrics."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pandas as pd
import pytest
from sklearn import metrics
from sklearn.linear_model import LogisticRegression

from nbtrack import registry
from nbtrack.errors import InvalidValueError
from nbtrack.monitoring.labels import labelled_pairs, log_labels, realised_performance
from nbtrack.monitoring.monitor import monitor_served
from nbtrack.monitoring.triggers import set_monitor_rule
from nbtrack.store import open_store
from nbtrack.tracking import Tracker

pytestmark = pytest.mark.backends("memory", "sqlite", "postgres")
FEATURES = pd.DataFrame({"a": np.linspace(-2, 2, 400), "b": np.cos(np.arange(400))})


def test_realised_performance_is_scikit_learns_on_the_labelled_rows():
    true, predicted = [0, 1, 1, 0, 1, 1], [0, 1, 0, 0, 1, 0]
    found = realised_performance(predicted, true)
    assert found == {"labelled": 6.0, "accuracy": metrics.accuracy_score(true, predicted),
                     "precision": metrics.precision_score(true, predicted),
                     "recall": metrics.recall_score(true, predicted),
                     "f1": metrics.f1_score(true, predicted)}
    many_true, many_pred = ["a", "b", "c", "a"], ["a", "c", "c", "b"]
    assert realised_performance(many_pred, many_true)["f1"] == metrics.f1_score(
        many_true, many_pred, average="macro", zero_division=0)
    regression = realised_performance([1.0, 2.5, 2.0], [1.0, 2.0, 3.0])
    assert regression["mae"] == metrics.mean_absolute_error([1.0, 2.0, 3.0], [1.0, 2.5, 2.0])
    assert regression["r2"] == metrics.r2_score([1.0, 2.0, 3.0], [1.0, 2.5, 2.0])
    assert realised_performance([], []) == {}
    requests = [{"request_id": "x", "status": 200, "predictions": [1, 0]},
                {"request_id": "y", "status": 200, "predictions": [1]},
                {"request_id": "z", "status": 400, "predictions": None}]
    assert labelled_pairs(requests, {"x": [1, 1], "y": [0, 1], "z": [1]}) == ([1, 0], [1, 1])


def test_labels_join_the_served_predictions_and_feed_the_rule(store):
    tracker = Tracker(store)
    labels = (FEATURES["a"] > 0).astype(int)
    model = LogisticRegression().fit(FEATURES, labels)
    with tracker.start_run():
        tracker.log_model(model, name="clf")
        tracker.log_metric("f1", 1.0)
    registry.register_model(store, tracker.last_run_id, "m", reference=FEATURES)
    live = FEATURES.iloc[::4].reset_index(drop=True)
    predicted = model.predict(live).tolist()
    store.backend.registry.log_requests([
        (f"q{i}", 1_000.0 + i, "m", 1, 200, 0.001, 10,
         json.dumps(live.iloc[i * 10:(i + 1) * 10].to_dict("split")),
         json.dumps(predicted[i * 10:(i + 1) * 10])) for i in range(10)])
    # the truth flips for the first three requests: 30 of 100 rows wrong
    truth = [[1 - p for p in predicted[i * 10:(i + 1) * 10]] if i < 3 else
             predicted[i * 10:(i + 1) * 10] for i in range(10)]
    with pytest.raises(InvalidValueError, match="10 request ids but 9 labels"):
        log_labels(store, [f"q{i}" for i in range(10)], truth[:9])
    assert log_labels(store, [f"q{i}" for i in range(10)], [[0] * 10] * 10) == 10
    assert log_labels(store, [f"q{i}" for i in range(10)], np.array(truth)) == 10  # replaces
    assert store.backend.registry.labels("m")["q0"] == truth[0]
    assert store.backend.registry.labels("other") == {}

    set_monitor_rule(tracker, "m", "f1 < baseline.f1 - 0.05")
    report = monitor_served(tracker, "m/1")
    flat = [v for part in truth for v in part]
    assert report.latest.performance["labelled"] == 100
    assert report.latest.performance["f1"] == pytest.approx(metrics.f1_score(flat, predicted))
    assert report.latest.performance["accuracy"] == 0.7
    assert report.rule.fired and report.baseline["f1"] == 1.0
    assert "realised on 100 labelled rows: accuracy 0.7, precision" in repr(report)
    assert "(recorded 1, " in report.performance_line()
    run = store.get_run(report.run_id)
    assert run.metrics["accuracy"] == 0.7 and run.tags["nbtrack.rule_fired"] == "true"


@pytest.mark.backends("sqlite", "postgres")
def test_a_version_5_store_migrates_forward_keeping_its_requests(store_uri):
    store = open_store(store_uri)
    store.backend.registry.log_requests([("old", 1.0, "m", 1, 200, 0.01, 1, None, "[1]")])

    def back_to_5(c):
        c.execute("DROP TABLE serving_labels")
        c.execute("UPDATE nbtrack_schema SET version = 5")
    store.backend.transaction(back_to_5)
    store.close()
    again = open_store(store_uri)
    try:
        assert again.schema_version() == 6
        assert [r["request_id"] for r in again.backend.registry.requests("m")] == ["old"]
        log_labels(again, ["old"], [1])
        assert again.backend.registry.labels() == {"old": [1]}
    finally:
        again.close()


@pytest.mark.backends("sqlite")
def test_the_request_id_a_server_answers_with_takes_labels(store):
    from nbtrack.serving.server import ModelServer

    tracker = Tracker(store)
    with tracker.start_run():
        tracker.log_model(LogisticRegression().fit(FEATURES, FEATURES["a"] > 0), name="clf")
    registry.register_model(store, tracker.last_run_id, "m", reference=FEATURES)
    ids = []
    with ModelServer(store, "m/1", token="t") as server:
        for i in range(3):
            answer = httpx.post(server.url + "/invocations", timeout=30,
                                headers={"Authorization": "Bearer t"},
                                json={"dataframe_split": FEATURES.iloc[i:i + 2].to_dict(
                                    "split")})
            ids.append(answer.json()["request_id"])
    log_labels(store, ids, [[False, False]] * 3)
    report = monitor_served(tracker, "m/1", record=False)
    assert report.latest.performance["labelled"] == 6
