"""ONNX exports of registered scikit-learn models (``register_model(..., onnx=True)``).

skl2onnx converts the model, with inputs built from the version's signature: one float
tensor ``X`` of the columns' width when every column is numeric (or the signature is a
tensor), else one input per column (numbers as floats, anything else as strings), which
is what a ``ColumnTransformer`` selecting columns by name needs. The ``.onnx`` file is
kept as an artifact of the run (kind ``onnx``) beside the skops file, and the version
records its name and sha256 in tags set at registration, so loading re-checks it as it
does the model file. onnxruntime runs it: :class:`OnnxModel` has ``predict`` (and
``predict_proba`` for classifiers).

skl2onnx and onnxruntime are imported only when an export is made or loaded.
"""

from __future__ import annotations

import hashlib
from typing import Any, Mapping

from .errors import InvalidValueError, MissingDependencyError, ModelNotFoundError
from .versions import ModelVersion

__all__ = ["FORMAT", "EXPORT_TAG", "EXPORT_DIGEST_TAG", "OnnxModel", "export_version",
           "load_version_onnx", "onnx_export", "input_spec"]

FORMAT = "onnx"
KIND = "onnx"
#: The tags a version registered with ``onnx=True`` carries: the export's artifact name
#: and its sha256 (tags cannot be changed after registration).
EXPORT_TAG = "nbtrack.onnx"
EXPORT_DIGEST_TAG = "nbtrack.onnx.sha256"

#: pandas dtypes fed as strings; every other column is fed as float32
_TEXT = ("object", "str", "string", "category")


def _need(what: str, converter: bool = True) -> None:
    try:
        if converter:
            import skl2onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        raise MissingDependencyError(what, "onnx") from None


def input_spec(signature: Mapping[str, Any]) -> list[list[str]]:
    """The ONNX inputs for a signature: ``[[name, "float" | "string", width], ...]`` as
    lists of strings (the width as text), stored with the export.

    Raises
    ------
    InvalidValueError
        When the signature does not say what the model takes.
    """
    inputs = signature.get("inputs")
    if isinstance(inputs, dict) and inputs.get("type") == "tensor":
        width = list(inputs.get("shape") or [])[-1:]
        if width and isinstance(width[0], int) and width[0] > 0:
            return [["X", "float", str(width[0])]]
    if isinstance(inputs, list) and inputs:
        text = [str(column.get("type", "unknown")).startswith(_TEXT) for column in inputs]
        if not any(text):
            return [["X", "float", str(len(inputs))]]
        return [[str(column["name"]), "string" if is_text else "float", "1"]
                for column, is_text in zip(inputs, text)]
    raise InvalidValueError("the ONNX export needs the model's inputs, and this version has "
                            "no signature; log the model from a %%track cell or with "
                            "log_model(..., signature=...) and register it again")


def _initial_types(spec: list[list[str]]) -> list[tuple[str, Any]]:
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    return [(name, (FloatTensorType if kind == "float" else StringTensorType)(
        [None, int(width)])) for name, kind, width in spec]


def _columns(signature: Mapping[str, Any]) -> list[str]:
    inputs = signature.get("inputs")
    return [str(c["name"]) for c in inputs] if isinstance(inputs, list) else []


def convert(model: Any, signature: Mapping[str, Any]) -> tuple[bytes, dict[str, Any]]:
    """ONNX bytes of a fitted scikit-learn model, and what the store keeps of them."""
    _need("the ONNX export")
    import onnxruntime
    import skl2onnx
    from skl2onnx import to_onnx

    spec = input_spec(signature)
    classifier = hasattr(model, "predict_proba") and hasattr(model, "classes_")
    try:
        # probabilities as a plain array rather than a list of dicts
        converted = to_onnx(model, initial_types=_initial_types(spec),
                            options={"zipmap": False} if classifier else None)
    except Exception as exc:  # noqa: BLE001 - skl2onnx has no converter for this model
        reason = " ".join(str(exc).split())[:300]
        raise InvalidValueError(f"skl2onnx cannot convert {type(model).__name__} ({reason}); "
                                "register it without onnx=True") from None
    data = converted.SerializeToString()
    # a file onnxruntime cannot open is worse than an error now
    onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    opset = max((o.version for o in converted.opset_import if o.domain in ("", "ai.onnx")),
                default=0)
    return data, {"format": FORMAT, "inputs": spec, "columns": _columns(signature),
                  "classifier": classifier, "skl2onnx": skl2onnx.__version__,
                  "opset": int(opset)}


def export_version(store: Any, run_id: str, record: Any, trusted: bool) -> dict[str, str]:
    """Convert the run's model behind ``record`` and store the export with the run;
    return the tags the version keeps of it."""
    from .entities import Artifact
    from .model_files import FORMAT as SKOPS
    from .model_files import load_model_artifact

    _need("the ONNX export")
    if record.meta.get("format") != SKOPS:
        raise InvalidValueError(
            f"the ONNX export is for scikit-learn models; {record.name!r} is a "
            f"{record.meta.get('format', record.kind)} file (export a PyTorch model with "
            "torch.onnx yourself)")
    model = load_model_artifact(record, store.read_artifact(run_id, record.name), trusted)
    data, meta = convert(model, dict(record.meta.get("signature") or {}))
    meta.update({"source": record.name, "source_sha256": record.sha256})
    # named by content: exporting the model again with another skl2onnx keeps this one
    name = f"onnx/{record.name}-{hashlib.sha256(data).hexdigest()[:12]}.onnx"
    stored = store.add_artifact(run_id, Artifact(name, "", 0, KIND, meta), data=data)
    store.flush()
    return {EXPORT_TAG: name, EXPORT_DIGEST_TAG: stored.sha256}


def onnx_export(version: ModelVersion) -> tuple[str, str]:
    """The export's artifact name and sha256 recorded with a version."""
    tags = version.tags or {}
    if EXPORT_TAG not in tags or EXPORT_DIGEST_TAG not in tags:
        raise ModelNotFoundError(f"{version.address} has no ONNX export; register the run "
                                 "again with register_model(run, name, onnx=True)")
    return tags[EXPORT_TAG], tags[EXPORT_DIGEST_TAG]


def load_version_onnx(record: Any, data: bytes, version: ModelVersion) -> OnnxModel:
    """The export of ``version`` (its sha256 already checked) ready to predict."""
    if record.meta.get("source_sha256") != version.digest:
        raise InvalidValueError(f"the ONNX file of {version.address} was not made from its "
                                "model file; register the run again with onnx=True")
    return OnnxModel(data, record.meta)


class OnnxModel:
    """An ONNX export run by onnxruntime, called as the scikit-learn model was.

    Parameters
    ----------
    data : bytes
        The ``.onnx`` file.
    meta : Mapping
        What the store kept of it: the inputs (``[[name, kind, width], ...]``), the
        model's column order, whether it is a classifier.
    """

    def __init__(self, data: bytes, meta: Mapping[str, Any]) -> None:
        _need("loading an ONNX model", converter=False)
        import onnxruntime

        self.session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
        self.inputs = [list(spec) for spec in meta.get("inputs") or []]
        self.columns = [str(c) for c in meta.get("columns") or []]
        self.outputs = [o.name for o in self.session.get_outputs()]
        # skl2onnx makes column names into identifiers ("petal width (cm)" ->
        # "petal_width__cm_"); the session's inputs come in the spec's order
        self.feeds = [(given.name, str(spec[0]), str(spec[1])) for given, spec in
                      zip(self.session.get_inputs(), self.inputs)]
        self.classifier = bool(meta.get("classifier"))

    def _feed(self, X: Any) -> dict[str, Any]:
        import numpy as np

        if hasattr(X, "columns") and self.columns:
            missing = [c for c in self.columns if c not in [str(n) for n in X.columns]]
            if missing:
                raise InvalidValueError(f"missing column{'s' * (len(missing) > 1)} "
                                        f"{', '.join(map(repr, missing))}; the model expects "
                                        f"{', '.join(self.columns)}")
            X = X.set_axis([str(n) for n in X.columns], axis=1)[self.columns]
        if len(self.feeds) == 1:
            return {self.feeds[0][0]: np.asarray(X, dtype=np.float32)}
        if not hasattr(X, "columns"):
            raise InvalidValueError("this model takes named columns; pass a DataFrame")
        return {fed: X[column].to_numpy().reshape(-1, 1).astype(
            np.float32 if kind == "float" else str) for fed, column, kind in self.feeds}

    def predict(self, X: Any) -> Any:
        """Labels (classifiers) or values (regressors) for the rows of ``X``."""
        import numpy as np

        predicted = self.session.run(self.outputs[:1], self._feed(X))[0]
        return np.asarray(predicted).reshape(-1) if np.ndim(predicted) == 2 and \
            np.shape(predicted)[1] == 1 else np.asarray(predicted)

    def predict_proba(self, X: Any) -> Any:
        """Class probabilities for the rows of ``X`` (classifiers only)."""
        import numpy as np

        if not self.classifier or len(self.outputs) < 2:
            raise InvalidValueError("predict_proba is for classifiers; this ONNX model "
                                    "predicts values")
        return np.asarray(self.session.run(self.outputs[1:2], self._feed(X))[0])
