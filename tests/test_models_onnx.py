"""ONNX exports of registered scikit-learn models, run by onnxruntime."""

from __future__ import annotations

import builtins

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

pytest.importorskip("skl2onnx")
pytest.importorskip("onnxruntime")

from nbtrack import registry  # noqa: E402
from nbtrack.capture.estimators import signature_for  # noqa: E402
from nbtrack.errors import (ArtifactCorruptError, InvalidValueError,  # noqa: E402
                            MissingDependencyError, ModelNotFoundError, NbtrackWarning)
from nbtrack.store import open_store  # noqa: E402
from nbtrack.tracking import Tracker  # noqa: E402


@pytest.fixture
def store(tmp_path):
    store = open_store(f"sqlite://{tmp_path / 'store'}")
    yield store
    store.close()


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True, as_frame=True)


def logged(store, model, frame, name="clf"):
    """The run of a model logged with the signature a tracked cell would give it."""
    tracker = Tracker(store)
    with tracker.start_run() as run:
        tracker.log_model(model, name=name, signature=signature_for(model, {"X": frame}))
    return run.run_id


def test_an_iris_classifier_predicts_the_same_through_onnx(store, iris):
    X, y = iris
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y)
    version = registry.register_model(store, logged(store, model, X), "iris", onnx=True,
                                      reference=X)
    exported = registry.load_model(store, "iris/1", format="onnx")
    assert version.format == "skops" and type(exported).__name__ == "OnnxModel"
    np.testing.assert_array_equal(exported.predict(X), model.predict(X))
    np.testing.assert_allclose(exported.predict_proba(X), model.predict_proba(X), atol=1e-5)
    # columns are put in the model's order, as the scikit-learn model would need them
    shuffled = X[list(reversed(X.columns))]
    np.testing.assert_array_equal(exported.predict(shuffled), model.predict(X))
    record = store.artifact_record(version.run_id, version.tags["nbtrack.onnx"])
    assert record.kind == "onnx" and record.meta["source_sha256"] == version.digest
    import onnx

    graph = onnx.load_model_from_string(store.read_artifact(version.run_id, record.name)).graph
    assert [(i.name, [d.dim_value for d in i.type.tensor_type.shape.dim]) for i in
            graph.input] == [("X", [0, 4])]
    # the native format is still the skops file
    assert registry.load_model(store, "iris/1").predict(X).tolist() == model.predict(X).tolist()


def test_the_export_is_checked_on_the_reference_rows_at_registration(store, iris):
    X, y = iris
    model = LogisticRegression(max_iter=500).fit(X, y)
    version = registry.register_model(store, logged(store, model, X), "iris", onnx=True,
                                      reference=X)
    assert version.tags["nbtrack.onnx.agrees"] == "150/150"
    check = store.artifact_record(version.run_id, version.tags["nbtrack.onnx"]).meta["check"]
    assert (check["rows"], check["agreeing"]) == (150, 150)
    assert 0 < check["max_difference"] < 1e-5  # float32 probabilities, not the same bits


def test_an_export_that_answers_otherwise_is_kept_but_said_so(store):
    """Inputs near 1e7 that float32 rounds to whole numbers: the export's predictions
    move by up to 0.5 wherever an input had a fraction."""
    from sklearn.linear_model import LinearRegression

    X = pd.DataFrame({"x": 1e7 + np.arange(40) * 0.3})
    model = LinearRegression().fit(X, X["x"] - 1e7)
    whole = int((X["x"].astype(np.float32).astype(float) == X["x"]).sum())
    assert 0 < whole < 40
    with pytest.warns(NbtrackWarning, match=rf"not served by default: it answers {40 - whole} "
                      r"of 40 reference rows differently; nbtrack serve serves the model file"):
        version = registry.register_model(store, logged(store, model, X), "big", onnx=True,
                                          reference=X)
    assert version.tags["nbtrack.onnx.agrees"] == f"{whole}/40"
    # still there for whoever asks for it
    exported = registry.load_model(store, "big/1", format="onnx")
    assert np.abs(exported.predict(X) - model.predict(X)).max() > 0.05


def test_a_regressor_and_named_mixed_columns_convert(store, iris):
    X, y = iris
    ridge = Ridge().fit(X.to_numpy(), y)
    version = registry.register_model(store, logged(store, ridge, X.to_numpy()), "ridge",
                                      onnx=True, reference=X.to_numpy())
    assert version.tags["nbtrack.onnx.agrees"] == "150/150"
    exported = registry.load_model(store, "ridge", format="onnx")
    np.testing.assert_allclose(exported.predict(X.to_numpy()), ridge.predict(X.to_numpy()),
                               atol=1e-4)
    with pytest.raises(InvalidValueError, match="predict_proba is for classifiers"):
        exported.predict_proba(X.to_numpy())

    frame = X.assign(colour=np.where(y == 0, "red", "blue"))
    mixed = make_pipeline(ColumnTransformer([("num", StandardScaler(), list(X.columns)),
                                             ("cat", OneHotEncoder(), ["colour"])]),
                          LogisticRegression(max_iter=500)).fit(frame, y)
    version = registry.register_model(store, logged(store, mixed, frame), "mixed", onnx=True,
                                      reference=frame)
    assert version.tags["nbtrack.onnx.agrees"] == "150/150"
    exported = registry.load_model(store, "mixed", format="onnx")
    assert [spec[1] for spec in exported.inputs] == ["float"] * 4 + ["string"]
    np.testing.assert_array_equal(exported.predict(frame), mixed.predict(frame))


def test_a_tampered_export_is_refused(store, iris, tamper):
    X, y = iris
    version = registry.register_model(
        store, logged(store, LogisticRegression(max_iter=500).fit(X, y), X), "iris", onnx=True,
        reference=X)
    tamper(store, version.tags["nbtrack.onnx.sha256"], b"not an onnx file")
    with pytest.raises(ArtifactCorruptError):
        registry.load_model(store, "iris/1", format="onnx")


def test_a_version_without_an_export_says_how_to_make_one(store, iris):
    X, y = iris
    model = LogisticRegression(max_iter=500).fit(X, y)
    registry.register_model(store, logged(store, model, X), "iris")
    with pytest.raises(ModelNotFoundError) as caught:
        registry.load_model(store, "iris/1", format="onnx")
    assert str(caught.value) == ("iris/1 has no ONNX export; register the run again with "
                                 "register_model(run, name, onnx=True)")


def test_without_skl2onnx_the_error_says_what_to_install(store, iris, monkeypatch):
    X, y = iris
    run_id = logged(store, LogisticRegression(max_iter=500).fit(X, y), X)
    real_import = builtins.__import__

    def without_skl2onnx(name, *args, **kwargs):
        if name.partition(".")[0] == "skl2onnx":
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_skl2onnx)
    with pytest.raises(MissingDependencyError) as caught:
        registry.register_model(store, run_id, "iris", onnx=True)
    assert str(caught.value) == ("the ONNX export needs packages that are not installed here; "
                                 "pip install nbtrack[onnx]")
    # nothing was registered
    assert registry.models_frame(store).empty


def test_only_scikit_learn_models_are_exported(store):
    torch = pytest.importorskip("torch")
    tracker = Tracker(store)
    with tracker.start_run() as run:
        tracker.log_model(torch.nn.Linear(4, 2), name="net")
    with pytest.raises(InvalidValueError, match="the ONNX export is for scikit-learn models; "
                       "'net' is a safetensors file"):
        registry.register_model(store, run.run_id, "net", onnx=True)
    assert registry.models_frame(store).empty


def test_a_model_without_a_signature_cannot_be_exported(store, iris):
    X, y = iris
    tracker = Tracker(store)
    with tracker.start_run() as run:
        tracker.log_model(LogisticRegression(max_iter=500).fit(X, y), name="clf")
    with pytest.raises(InvalidValueError, match="the ONNX export needs the model's inputs"):
        registry.register_model(store, run.run_id, "iris", onnx=True)


def test_the_command_and_the_magic_register_with_an_export(iris, ip, capsys):
    import nbtrack
    from nbtrack.cli import main

    store = nbtrack.tracker().store  # the one the magics use
    X, y = iris
    model = LogisticRegression(max_iter=500).fit(X, y)
    run_id = logged(store, model, X)
    store.flush()
    with pytest.warns(NbtrackWarning, match="no reference rows to check the ONNX export"):
        assert main(["--store", store.uri, "register", run_id, "iris", "--onnx"]) == 0
    assert "registered iris/1" in capsys.readouterr().out
    exported = registry.load_model(store, "iris/1", format="onnx")
    np.testing.assert_array_equal(exported.predict(X), model.predict(X))
    with pytest.warns(NbtrackWarning, match="no reference rows to check the ONNX export"):
        ip.run_line_magic("track", f"register {run_id} iris --onnx")
    ip.run_line_magic("track", f"register {run_id} iris")
    tags = [v.tags for v in store.backend.registry.versions("iris")]
    assert ["nbtrack.onnx" in t for t in tags] == [True, True, False]


def test_the_command_checks_the_export_on_a_reference_file(store, iris, tmp_path, capsys):
    from nbtrack.cli import main

    X, y = iris
    run_id = logged(store, LogisticRegression(max_iter=500).fit(X, y), X)
    store.flush()
    X.to_csv(tmp_path / "train.csv", index=False)
    assert main(["--store", store.uri, "register", run_id, "iris", "--onnx",
                 "--reference", str(tmp_path / "train.csv")]) == 0
    version = registry.resolve(store, "iris/1")
    assert version.tags["nbtrack.onnx.agrees"] == "150/150"
    assert version.tags["nbtrack.reference"].startswith("reference/registered-")
    assert main(["--store", store.uri, "register", run_id, "iris", "--reference",
                 str(tmp_path / "missing.csv")]) == 1
    assert capsys.readouterr().err == (
        f"nbtrack: error: no reference file {tmp_path / 'missing.csv'}; give a .csv or "
        ".parquet file of the model's training inputs\n")
