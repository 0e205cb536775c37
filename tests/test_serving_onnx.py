"""A version's ONNX export served through onnxruntime (by default once checked, always
with ``--onnx``), over real HTTP on a free loopback port."""

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
from nbtrack.errors import ModelNotFoundError, NbtrackWarning  # noqa: E402
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
    """iris/1 with an ONNX export checked on its reference rows (@production), iris/2
    without one."""
    X, model = iris
    store = open_store(str(tmp_path / "store"))
    tracker = Tracker(store)
    for onnx in (True, False):
        with tracker.start_run() as run:
            tracker.log_model(model, name="clf", signature=signature_for(model, {"X": X}))
        registry.register_model(store, run.run_id, "iris", onnx=onnx, reference=X)
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


def served_format(store, address, options=None):
    with ModelServer(store, address, token=TOKEN, options=options) as server:
        info = call(server, "/v1/model", method="GET").json()
    return info["model"], info["format"], info["served_format"]


def test_a_checked_export_is_served_by_default_and_the_model_file_on_request(store):
    assert registry.resolve(store, "iris/1").tags["nbtrack.onnx.agrees"] == "150/150"
    assert served_format(store, "iris@production") == ("iris/1", "skops", "onnx")
    assert served_format(store, "iris@production", ONNX) == ("iris/1", "skops", "onnx")
    assert served_format(store, "iris@production", ServingOptions(onnx=False)) == \
        ("iris/1", "skops", "skops")
    # no export: the model file, by default and without a complaint
    assert served_format(store, "iris/2") == ("iris/2", "skops", "skops")


def test_an_export_never_checked_is_served_only_when_asked_for(store, iris):
    X, model = iris
    tracker = Tracker(store)
    with tracker.start_run() as run:
        tracker.log_model(model, name="clf", signature=signature_for(model, {"X": X}))
    with pytest.warns(NbtrackWarning, match="no reference rows to check the ONNX export on"):
        version = registry.register_model(store, run.run_id, "iris", onnx=True)
    assert "nbtrack.onnx.agrees" not in version.tags
    assert served_format(store, "iris/3") == ("iris/3", "skops", "skops")
    assert served_format(store, "iris/3", ONNX) == ("iris/3", "skops", "onnx")


def first_line_of_serve(store, python_env, *flags):
    """What ``nbtrack serve`` prints first, from a real command stopped right after."""
    process = subprocess.Popen([sys.executable, "-m", "nbtrack", "--store", store.uri,
                                "serve", "iris@production", "--port", "0", *flags],
                               env=python_env, stdout=subprocess.PIPE, text=True)
    try:
        return process.stdout.readline()
    finally:
        process.terminate()
        process.wait(30)
        process.stdout.close()


def test_the_command_serves_the_checked_export_unless_told_the_model_file(store, python_env):
    store.flush()
    assert first_line_of_serve(store, python_env).startswith(
        "serving iris/1 (iris@production) as ONNX (onnxruntime) on http://127.0.0.1:")
    assert first_line_of_serve(store, python_env, "--model-file").startswith(
        "serving iris/1 (iris@production) on http://127.0.0.1:")


def test_by_default_a_reload_decides_again_for_the_version_it_resolves(store):
    with ModelServer(store, "iris@production", token=TOKEN) as server:
        assert call(server, "/v1/model", method="GET").json()["served_format"] == "onnx"
        registry.set_alias(store, "iris", "production", 2)
        assert call(server, "/-/reload").json() == {"model": "iris/2", "before": "iris/1"}
        info = call(server, "/v1/model", method="GET").json()
    assert (info["model"], info["served_format"]) == ("iris/2", "skops")


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
