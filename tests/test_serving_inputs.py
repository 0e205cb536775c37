"""The serving fast path: numeric bodies decoded without pandas, models handed arrays only
when they answer exactly as they do on DataFrames."""

from __future__ import annotations

import json
import warnings

import httpx
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from nbtrack import registry
from nbtrack.serving.app import ServingOptions
from nbtrack.serving.inputs import array_model, numeric_rows
from nbtrack.serving.server import ModelServer
from nbtrack.store import open_store
from nbtrack.tracking import Tracker

RNG = np.random.default_rng(7)
FRAME = pd.DataFrame(RNG.normal(size=(80, 3)), columns=["petal", "sepal", "stem"])
LABELS = (FRAME["petal"] + 0.5 * FRAME["sepal"] > 0).astype(int).to_numpy()
WANTED = ["petal", "sepal", "stem"]
JSON = "application/json"


def _split(frame: pd.DataFrame) -> bytes:
    return json.dumps({"dataframe_split": {"columns": list(frame.columns),
                                           "data": frame.to_numpy().tolist()}}).encode()


def _by_name() -> ColumnTransformer:
    return ColumnTransformer([("scaled", StandardScaler(), ["petal", "sepal"])])


MODELS = {
    "logistic": lambda: LogisticRegression().fit(FRAME, LABELS),
    "pipeline": lambda: make_pipeline(StandardScaler(), LogisticRegression()).fit(FRAME, LABELS),
    "forest": lambda: RandomForestClassifier(n_estimators=5, random_state=0).fit(FRAME, LABELS),
    "columns by name": lambda: make_pipeline(_by_name(), LogisticRegression()).fit(FRAME,
                                                                                   LABELS),
}


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_an_array_view_answers_as_the_model_does_on_dataframes(kind):
    model = MODELS[kind]()
    view = array_model(model, WANTED)
    if kind == "columns by name":
        assert view is None  # it selects columns by name: only DataFrames will do
        return
    assert view is not None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert view.predict(FRAME.to_numpy()).tolist() == model.predict(FRAME).tolist()
    # the served model itself is untouched: it still checks names
    assert list(model.feature_names_in_) == WANTED
    assert array_model(model, ["sepal", "petal", "stem"]) is None


def test_numeric_rows_reorders_columns_and_keeps_what_was_sent():
    shuffled = FRAME[["stem", "petal", "sepal"]].head(4)
    values, logged = numeric_rows(_split(shuffled), JSON, WANTED)
    assert values.tolist() == FRAME[WANTED].head(4).to_numpy().tolist()
    assert logged == {"columns": ["stem", "petal", "sepal"],
                      "data": shuffled.to_numpy().tolist()}
    extra = FRAME.head(2).assign(note=1.0)
    assert numeric_rows(_split(extra), JSON, WANTED)[0].shape == (2, 3)
    assert numeric_rows(_split(extra), JSON, WANTED, strict=True) is None


@pytest.mark.parametrize("body", [
    b'{"dataframe_split": {"columns": ["petal", "sepal"], "data": [[1, 2]]}}',  # missing
    b'{"dataframe_split": {"columns": ["petal", "sepal", "stem"], "data": [[1, "a", 2]]}}',
    b'{"dataframe_split": {"columns": ["petal", "sepal", "stem"], "data": [[1, 2]]}}',
    b'{"dataframe_split": {"columns": ["petal", "petal", "stem"], "data": [[1, 2, 3]]}}',
    b'{"dataframe_split": {"columns": ["petal", "sepal", "stem"], "data": []}}',
    b'{"dataframe_records": [{"petal": 1, "sepal": 2, "stem": 3}]}',
    b'{"dataframe_split": not json',
])
def test_anything_but_a_plain_numeric_split_takes_the_general_path(body):
    assert numeric_rows(body, JSON, WANTED) is None


@pytest.fixture(params=["pipeline", "columns by name"])
def served(request, tmp_path):
    store = open_store(str(tmp_path / "store"))
    tracker = Tracker(store)
    model = MODELS[request.param]()
    with tracker.start_run():
        tracker.log_model(model, name="clf")
    registry.register_model(store, tracker.last_run_id, "m")
    with ModelServer(store, "m", token="t" * 24, options=ServingOptions(max_rows=500)) as s:
        yield s, model, store
    store.close()


def _post(server, content: bytes) -> httpx.Response:
    return httpx.post(server.url + "/invocations", content=content, timeout=30,
                      headers={"Authorization": "Bearer " + "t" * 24, "Content-Type": JSON})


def test_the_server_answers_the_same_on_either_path_and_logs_what_was_sent(served):
    server, model, store = served
    expected = model.predict(FRAME).tolist()
    # few rows (predicted on the event loop), many rows (in a thread), columns shuffled
    for frame in (FRAME.head(3), FRAME, FRAME[["sepal", "stem", "petal"]]):
        answer = _post(server, _split(frame))
        assert answer.status_code == 200, answer.text
        assert answer.json()["predictions"] == model.predict(frame[WANTED]).tolist()
    assert answer.json()["predictions"] == expected
    wrong = _post(server, b'{"dataframe_split": {"columns": ["petal"], "data": [[1.0]]}}')
    assert wrong.status_code == 400 and "missing columns 'sepal', 'stem'" in wrong.json()["message"]
    server.log.close()
    logged = store.backend.registry.requests("m")
    assert [r["rows"] for r in logged] == [3, 80, 80, 0]
    assert logged[2]["inputs"]["columns"] == ["sepal", "stem", "petal"]
    assert logged[2]["predictions"] == expected
