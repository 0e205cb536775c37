"""`nbtrack serve --onnx`: a version's ONNX export served through onnxruntime, over real
HTTP on a free loopback port."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

pytest.importorskip("skl2onnx")
pytest.importorskip("onnxruntime")

from nbtrack import registry  # noqa: E402
from nbtrack.capture.estimators import signature_for  # noqa: E402
from nbtrack.cli import main  # noqa: E402
from nbtrack.errors import ModelNotFoundError  # noqa: E402
from nbtrack.serving.app import ServingOptions  # noqa: E402
from nbtrack.serving.server import ModelServer  # noqa: E402
from nbtrack.store import open_store  # noqa: E402
from nbtrack.tracking import Tracker  # noqa: E402

TOKEN = "secret-token-for-onnx-tests"
ONNX = ServingOptions(onnx=True)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, LogisticRegression(max_iter=500).fit(X, y)


@pytest.fixture
def store(tmp_path, iris):
    """iris/1 with an ONNX export (@production), iris/2 without one."""
    X, model = iris
    store = open_store(str(tmp_path / "store"))
    tracker = Tracker(store)
    for onnx in (True, False):
        with tracker.start_run() as run:
            tracker.log_model(model, name="clf", signature=signature_for(model, {"X": X}))
        registry.register_model(store, run.run_id, "iris", onnx=onnx)
    registry.set_alias(store, "iris", "production", 1)
    yield store
    store.close()


def call(server, path="/invocations", **kwargs):
    headers = {"Authorization": f"Bearer {TOKEN}", **kwargs.pop("headers", {})}
    method = kwargs.pop("method", "POST")
    return httpx.request(method, server.url + path, headers=headers, timeout=30, **kwargs)


def test_the_export_predicts_the_scikit_learn_models_classes_for_every_form(store, iris):
    X, model = iris
    expected = model.predict(X).tolist()
    bodies = [{"json": {"dataframe_split": X.to_dict("split") | {"index": None}}},
              {"json": {"dataframe_records": X.to_dict("records")}},
              {"json": {"inputs": X.to_dict("list")}},
              {"content": X.to_csv(index=False), "headers": {"Content-Type": "text/csv"}}]
    with ModelServer(store, "iris@production", token=TOKEN, options=ONNX) as server:
        for body in bodies:
            answer = call(server, **body)
            assert answer.status_code == 200, answer.text
            assert answer.json()["predictions"] == expected
            assert answer.json()["model"] == "iris/1"
            assert len(answer.json()["request_id"]) == 32
        # columns in another order, and an extra one, as the skops model is served
        shuffled = X[list(reversed(X.columns))].assign(extra=1.0).head(5)
        answer = call(server, json={"dataframe_split": shuffled.to_dict("split")})
        assert answer.json()["predictions"] == expected[:5]


def test_v1_model_says_the_export_is_served_and_plain_serve_keeps_the_skops_file(store):
    with ModelServer(store, "iris@production", token=TOKEN, options=ONNX) as server:
        info = call(server, "/v1/model", method="GET").json()
    assert (info["model"], info["format"], info["served_format"]) == ("iris/1", "skops",
                                                                        "onnx")
    with ModelServer(store, "iris@production", token=TOKEN) as server:
        info = call(server, "/v1/model", method="GET").json()
    assert info["served_format"] == "skops"


def test_inputs_are_checked_against_the_signature_as_for_the_skops_model(store, iris):
    X, _ = iris
    with ModelServer(store, "iris/1", token=TOKEN,
                     options=ServingOptions(onnx=True, strict=True)) as server:
        missing = call(server, json={"dataframe_records": X.drop(columns="petal width (cm)")
                                     .head(2).to_dict("records")})
        extra = call(server, json={"dataframe_split": X.assign(extra=1.0).head(2)
                                   .to_dict("split")})
    assert missing.status_code == 400
    assert missing.json()["message"].startswith("missing column 'petal width (cm)'; the "
                                                "model expects sepal length (cm)")
    assert extra.status_code == 400
    assert extra.json()["message"] == "unexpected column 'extra' (strict)"


def test_requests_are_logged_with_inputs_and_predictions(store, iris):
    X, model = iris
    with ModelServer(store, "iris/1", token=TOKEN, options=ONNX) as server:
        call(server, json={"dataframe_split": X.head(3).to_dict("split")})
        call(server, json={"dataframe_records": [{"sepal length (cm)": 5.0}]})
    logged = store.backend.registry.requests("iris")
    assert [(r["version"], r["status"], r["rows"]) for r in logged] == [(1, 200, 3),
                                                                        (1, 400, 0)]
    assert logged[0]["inputs"]["columns"] == list(X.columns)
    assert logged[0]["predictions"] == model.predict(X.head(3)).tolist()


def test_a_version_without_an_export_is_a_one_line_error_saying_how_to_make_one(store,
                                                                              capsys):
    with pytest.raises(ModelNotFoundError, match=r"register_model\(run, name, onnx=True\)"):
        ModelServer(store, "iris/2", token=TOKEN, options=ONNX)
    assert main(["--store", store.uri, "serve", "iris/2", "--onnx", "--port", "0"]) == 1
    error = capsys.readouterr().err
    assert error == ("nbtrack: error: iris/2 has no ONNX export; register the run again "
                     "with register_model(run, name, onnx=True)\n")


def test_reload_onto_a_version_without_an_export_keeps_serving_the_export(store, iris):
    X, model = iris
    with ModelServer(store, "iris@production", token=TOKEN, options=ONNX) as server:
        registry.set_alias(store, "iris", "production", 2)
        refused = call(server, "/-/reload")
        still = call(server, json={"dataframe_split": X.head(2).to_dict("split")})
    assert refused.status_code == 409
    assert "register_model(run, name, onnx=True)" in refused.json()["message"]
    assert still.json()["model"] == "iris/1"
    assert still.json()["predictions"] == model.predict(X.head(2)).tolist()


SERVE_AND_LIST_MODULES = """
import json, sys
import httpx
from nbtrack.serving.app import ServingOptions
from nbtrack.serving.server import ModelServer
from nbtrack.store import open_store

body = json.loads(sys.argv[2])
with ModelServer(open_store(sys.argv[1]), "iris@production", token="t",
                 options=ServingOptions(onnx=True)) as server:
    answer = httpx.post(server.url + "/invocations", json=body,
                        headers={"Authorization": "Bearer t"}, timeout=30)
    loaded = sorted({m.split(".")[0] for m in sys.modules} & {"sklearn", "skops", "scipy",
                                                             "pandas"})
print(json.dumps({"predictions": answer.json()["predictions"], "loaded": loaded}))
"""


def test_the_onnx_server_answers_without_importing_scikit_learn_or_pandas(store, iris,
                                                                         python_env):
    X, model = iris
    body = {"dataframe_split": X.head(4).to_dict("split") | {"index": None}}
    done = subprocess.run([sys.executable, "-c", SERVE_AND_LIST_MODULES, store.uri,
                           json.dumps(body)], env=python_env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["predictions"] == model.predict(X.head(4)).tolist()
    # a numeric dataframe_split needs neither scikit-learn nor pandas
    assert answer["loaded"] == []
    assert np.array_equal(answer["predictions"], model.predict(X.head(4)))
