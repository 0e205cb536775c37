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
import importlib.util
import warnings
from typing import Any, Mapping

from .errors import InvalidValueError, MissingDependencyError, ModelNotFoundError, NbtrackWarning
from .versions import ModelVersion

__all__ = ["FORMAT", "EXPORT_TAG", "EXPORT_DIGEST_TAG", "CHECK_TAG", "OnnxModel",
           "export_version", "check_export", "checked_export", "load_version_onnx",
           "onnx_export", "input_spec"]

FORMAT = "onnx"
KIND = "onnx"
#: The tags a version registered with ``onnx=True`` carries: the export's artifact name
#: and its sha256 (tags cannot be changed after registration).
EXPORT_TAG = "nbtrack.onnx"
EXPORT_DIGEST_TAG = "nbtrack.onnx.sha256"
#: ``"<agreeing>/<checked>"``: of the reference rows both predicted at registration, how
#: many the export answered as the model file does; ``nbtrack serve`` serves the export by
#: default only when it answered every one of them alike.
CHECK_TAG = "nbtrack.onnx.agrees"

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


def check_export(model: Any, export: OnnxModel, rows: Any) -> dict[str, Any]:
    """Predict ``rows`` with the model and its export: how many rows they answer alike.

    Classifiers agree on a row when the labels are equal (the largest difference of the
    class probabilities is reported beside); regressors when the values agree to 1e-4
    relative (float32 arithmetic against float64). Returns ``{"rows", "agreeing",
    "max_difference"}``.
    """
    import numpy as np

    if hasattr(rows, "columns") and getattr(model, "feature_names_in_", None) is None \
            and len(export.feeds) == 1:
        rows = rows.to_numpy()  # fitted on an array: a table's names would be warned about
    exact = np.asarray(model.predict(rows))
    converted = np.asarray(export.predict(rows))
    if exact.shape != converted.shape:
        return {"rows": int(len(exact)), "agreeing": 0, "max_difference": None}
    if export.classifier:
        alike = exact == converted
        difference = float(np.max(np.abs(np.asarray(model.predict_proba(rows)) -
                                         export.predict_proba(rows)), initial=0.0))
    else:
        exact, converted = exact.astype(float), converted.astype(float)
        scale = max(1.0, float(np.max(np.abs(exact), initial=0.0)))
        alike = np.isclose(converted, exact, rtol=1e-4, atol=1e-4 * scale)
        difference = float(np.max(np.abs(converted - exact), initial=0.0))
    agreeing = int(np.count_nonzero(alike.reshape(len(exact), -1).all(axis=1)))
    return {"rows": int(len(exact)), "agreeing": agreeing, "max_difference": difference}


def _checked(model: Any, data: bytes, meta: dict[str, Any], rows: Any,
             address: str) -> dict[str, Any] | None:
    """The check of a new export on the reference rows, with a warning when it cannot be
    served in the model's place (None: no rows to check on)."""
    if rows is None or len(rows) == 0:
        warnings.warn(f"{address}: no reference rows to check the ONNX export on, so "
                      "nbtrack serve serves the model file (--onnx serves the export); pass "
                      "reference= to register_model (nbtrack register --reference FILE) to "
                      "check it", NbtrackWarning, stacklevel=4)
        return None
    try:
        check = check_export(model, OnnxModel(data, meta), rows)
    except Exception as exc:  # noqa: BLE001 - an export that fails on real rows is not served
        check = {"rows": int(len(rows)), "agreeing": 0, "max_difference": None,
                 "error": f"{type(exc).__name__}: {exc}"[:300]}
    if check["agreeing"] < check["rows"]:
        why = check.get("error") or (f"it answers {check['rows'] - check['agreeing']} of "
                                     f"{check['rows']} reference rows differently")
        warnings.warn(f"{address}: the ONNX export is not served by default: {why}; nbtrack "
                      "serve serves the model file (--onnx serves the export anyway)",
                      NbtrackWarning, stacklevel=4)
    return check


def checked_export(version: ModelVersion) -> bool:
    """Whether ``nbtrack serve`` serves the version's ONNX export by default: it has one
    that answered every reference row checked at registration as the model file did,
    and onnxruntime is installed here."""
    agreeing, _, checked = str((version.tags or {}).get(CHECK_TAG, "")).partition("/")
    return agreeing.isdigit() and checked.isdigit() and 0 < int(checked) == int(agreeing) \
        and EXPORT_TAG in (version.tags or {}) and \
        importlib.util.find_spec("onnxruntime") is not None


def export_version(store: Any, run_id: str, record: Any, trusted: bool, rows: Any = None,
                   address: str = "the new version") -> dict[str, str]:
    """Convert the run's model behind ``record``, check it on ``rows`` (the reference
    sample) and store the export with the run; return the tags the version keeps of it."""
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
    check = _checked(model, data, meta, rows, address)
    # named by content: exporting the model again with another skl2onnx keeps this one
    name = f"onnx/{record.name}-{hashlib.sha256(data).hexdigest()[:12]}.onnx"
    stored = store.add_artifact(run_id, Artifact(name, "", 0, KIND, meta | {"check": check}),
                                data=data)
    store.flush()
    tags = {EXPORT_TAG: name, EXPORT_DIGEST_TAG: stored.sha256}
    if check is not None:
        tags[CHECK_TAG] = f"{check['agreeing']}/{check['rows']}"
    return tags


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
