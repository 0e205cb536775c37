"""SHAP values of a fitted model on a sample of the evaluation rows (the ``explain``
extra: ``pip install 'nbtrack[explain]'``).

The rows are at most :data:`SAMPLE_ROWS`, drawn with seed 0. The explainer is the one
that fits the model: shap's ``LinearExplainer`` for linear models (it explains the
linear output: the log-odds of a logistic regression), with the first
:data:`BACKGROUND_ROWS` sampled rows as the background a feature is "absent" as;
``TreeExplainer`` for tree models, path-dependent (the trees' own training counts are
the background: no background sample, and shap 0.51's interventional variant fails its
own additivity check on random-forest regressors and histogram gradient boosting) on
its raw output (probabilities of a random forest, log-odds of gradient boosting); for
anything else, or a tree model shap cannot add up, shap's model-agnostic explainer over
``predict_proba`` (classifiers), ``decision_function`` or ``predict`` (regressors), on
the first :data:`AGNOSTIC_ROWS` rows, since it calls the model thousands of times per
row. Which model output the values add up to is found by checking them against each of
the model's outputs, and recorded as ``output``: for every row, base value + the sum of
its SHAP values = that output.

Values are kept as plain arrays in an ``.npz`` file, never a pickled explainer.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidValueError

__all__ = ["SAMPLE_ROWS", "BACKGROUND_ROWS", "AGNOSTIC_ROWS", "ShapValues", "shap_values",
           "read_shap_values"]

SAMPLE_ROWS = 1000
BACKGROUND_ROWS = 100
AGNOSTIC_ROWS = 200


@dataclass(frozen=True)
class ShapValues:
    """SHAP values of some evaluation rows.

    Attributes
    ----------
    values : numpy.ndarray
        Shape (rows, features), or (rows, features, classes) for a multiclass output.
    base_values : numpy.ndarray
        Shape (rows,), or (rows, classes).
    feature_names : list of str
    rows : numpy.ndarray
        The positions, in the evaluation data, of the rows explained.
    output : str
        The model method whose answer the values add up to: ``decision_function``,
        ``predict_proba`` (binary: the positive class's column) or ``predict``.
    explainer : str
        The shap explainer used.
    classes : list of str
        The classes of the output's columns (binary: the positive class; regressors:
        none).
    data : numpy.ndarray or None
        The explained rows' feature values (float), when every feature is numeric.
    """

    values: Any
    base_values: Any
    feature_names: list[str]
    rows: Any
    output: str
    explainer: str
    classes: list[str]
    data: Any = None

    def mean_abs(self) -> dict[str, float]:
        """Mean |SHAP value| per feature (multiclass: over the rows and the classes)."""
        import numpy as np

        magnitude = np.abs(self.values)
        axes = (0, 2) if magnitude.ndim == 3 else (0,)
        return {name: float(v) for name, v in
                zip(self.feature_names, magnitude.mean(axis=axes), strict=True)}

    def to_npz(self) -> bytes:
        """The values as ``.npz`` bytes (plain arrays, readable with
        ``numpy.load(..., allow_pickle=False)``)."""
        import numpy as np

        arrays = {"values": self.values, "base_values": self.base_values,
                  "feature_names": np.array(self.feature_names, dtype=str),
                  "rows": np.asarray(self.rows, dtype=np.int64),
                  "output": np.array(self.output), "explainer": np.array(self.explainer),
                  "classes": np.array(self.classes, dtype=str)}
        if self.data is not None:
            arrays["data"] = self.data
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        return buffer.getvalue()


def read_shap_values(data: bytes) -> ShapValues:
    """The :class:`ShapValues` that :meth:`ShapValues.to_npz` wrote."""
    import numpy as np

    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        return ShapValues(arrays["values"], arrays["base_values"],
                          [str(n) for n in arrays["feature_names"]], arrays["rows"],
                          str(arrays["output"]), str(arrays["explainer"]),
                          [str(c) for c in arrays["classes"]],
                          arrays["data"] if "data" in arrays else None)


def _import_shap() -> Any:
    import importlib
    import warnings

    try:
        with warnings.catch_warnings():
            # shap's import calls matplotlib colormap methods newer matplotlib deprecates;
            # nothing a notebook could act on
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            # through importlib: shap ships no type information, and mypy checks this
            # module whether or not the extra is installed
            return importlib.import_module("shap")
    except ImportError:
        raise InvalidValueError("explain=True needs the shap package; install it with "
                                "pip install 'nbtrack[explain]'") from None


def _rows(X: Any, positions: Any) -> Any:
    return X.iloc[positions] if hasattr(X, "iloc") else X[positions]


def _outputs(model: Any, rows: Any, classifier: bool) -> dict[str, Any]:
    """What each of the model's output methods answers for ``rows``: SHAP values are
    matched against them."""
    import numpy as np

    out = {}
    for method in ("decision_function", "predict_proba", "predict"):
        if not hasattr(model, method) or (method == "predict" and classifier):
            continue
        try:
            answer = np.asarray(getattr(model, method)(rows), dtype=float)
        except (AttributeError, NotImplementedError, ValueError):
            continue  # e.g. a pipeline whose last step lacks the method
        out[method] = answer[:, 1] if method == "predict_proba" and answer.shape[1] == 2 \
            else answer
    return out


def _binary(values: Any, base: Any, classes: list[Any]) -> tuple[Any, Any]:
    """Of a two-column binary output, keep the positive class's column."""
    import numpy as np

    values, base = np.asarray(values, dtype=float), np.asarray(base, dtype=float)
    if len(classes) == 2 and values.ndim == 3:
        values, base = values[..., 1], base[..., 1]
    if base.ndim == 0 or base.shape[0] != values.shape[0]:
        base = np.broadcast_to(base, (values.shape[0], *values.shape[2:])).copy()
    return values, base


def _matching_output(values: Any, base: Any, outputs: dict[str, Any]) -> str | None:
    import numpy as np

    rebuilt = base + values.sum(axis=1)
    for name, answer in outputs.items():
        if answer.shape == rebuilt.shape and np.allclose(rebuilt, answer, rtol=1e-9,
                                                         atol=1e-7):
            return name
    return None


def _model_specific(shap: Any, model: Any, background: Any) -> Any:
    """shap's linear or tree explainer for the model, or None when neither applies."""
    if hasattr(model, "coef_") and hasattr(model, "intercept_"):
        return shap.LinearExplainer(model, background)
    try:
        return shap.TreeExplainer(model, feature_perturbation="tree_path_dependent")
    except Exception:  # shap's "model type not supported", raised as several types
        return None


def _agnostic_method(model: Any, classifier: bool) -> str:
    if classifier:
        return "predict_proba" if hasattr(model, "predict_proba") else "decision_function"
    return "predict"


def _specific(shap: Any, model: Any, X: Any, picks: Any, classes: list[Any]) -> Any:
    """(values, base values, output, explainer name) from the linear or tree explainer,
    or None when neither fits the model or its values do not add up to an output."""
    explainer = _model_specific(shap, model, _rows(X, picks[:BACKGROUND_ROWS]))
    if explainer is None:
        return None
    sample = _rows(X, picks)
    try:
        explanation = explainer(sample)
    except shap.utils._exceptions.ExplainerError:  # its own additivity check failed
        return None
    values, base = _binary(explanation.values, explanation.base_values, classes)
    output = _matching_output(values, base, _outputs(model, sample, bool(classes)))
    return None if output is None else (values, base, output, type(explainer).__name__)


def _agnostic(shap: Any, model: Any, X: Any, picks: Any, classes: list[Any]) -> Any:
    """(values, base values, output, explainer name) from shap's model-agnostic
    explainer (exact for few features, permutations for many; seed 0)."""
    import numpy as np
    import pandas as pd

    output = _agnostic_method(model, bool(classes))
    method = getattr(model, output)
    columns = getattr(X, "columns", None)

    def answer(data: Any) -> Any:
        # the masker hands over plain arrays; a model fitted on a DataFrame wants its names
        frame = pd.DataFrame(data, columns=columns) if columns is not None else data
        out = np.asarray(method(frame), dtype=float)
        return out[:, 1] if out.ndim == 2 and out.shape[1] == 2 else out

    masker = shap.maskers.Independent(_rows(X, picks[:BACKGROUND_ROWS]),
                                      max_samples=BACKGROUND_ROWS)
    explainer = shap.Explainer(answer, masker, seed=0)
    explanation = explainer(_rows(X, picks))
    values, base = _binary(explanation.values, explanation.base_values, classes)
    return values, base, output, type(explainer).__name__


def shap_values(model: Any, X: Any, classes: list[Any]) -> ShapValues:
    """SHAP values of ``model`` on a seeded sample of the rows of ``X`` (see the module
    note for the explainer chosen and the output explained).

    Parameters
    ----------
    model
        A fitted scikit-learn estimator (or one with the same methods).
    X : DataFrame or 2-D array
        The evaluation rows.
    classes : list
        The classifier's classes (empty for a regressor).

    Raises
    ------
    InvalidValueError
        When shap is not installed.
    """
    import numpy as np
    import pandas as pd

    shap = _import_shap()
    names = [str(c) for c in getattr(X, "columns", range(np.shape(X)[1]))]
    picks = np.random.default_rng(0).permutation(len(X))[:SAMPLE_ROWS]
    explained = _specific(shap, model, X, picks, classes)
    if explained is None:
        picks = picks[:AGNOSTIC_ROWS]
        explained = _agnostic(shap, model, X, picks, classes)
    values, base, output, explainer = explained
    if not classes:
        out_classes = []
    else:
        out_classes = [str(classes[1])] if values.ndim == 2 else [str(c) for c in classes]
    frame = pd.DataFrame(_rows(X, picks))
    numeric = all(pd.api.types.is_numeric_dtype(t) for t in frame.dtypes)
    return ShapValues(values, base, names, picks, output, explainer, out_classes,
                      frame.to_numpy(dtype=float) if numeric else None)
