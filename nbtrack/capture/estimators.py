"""Fitted estimators a cell bound: which to save, their params and signature.

Nothing here imports a machine-learning library: an object is only examined
with a library that the user's code has already imported.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Mapping

__all__ = ["is_fitted_estimator", "estimator_params", "signature_for"]


def is_fitted_estimator(value: Any) -> bool:
    """True for a fitted scikit-learn-compatible estimator (xgboost/lightgbm included)."""
    if isinstance(value, type) or "sklearn" not in sys.modules:
        return False
    from sklearn.base import BaseEstimator

    if not isinstance(value, BaseEstimator):
        return False
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(value)
    except (NotFittedError, TypeError, AttributeError):
        return False
    except Exception:  # third-party estimators can fail the check in odd ways
        return False
    return True


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        return False
    return True


def estimator_params(name: str, estimator: Any) -> dict[str, Any]:
    """``get_params(deep=False)`` as ``<name>.<param>`` entries (plain values only)."""
    try:
        raw = estimator.get_params(deep=False)
    except Exception:
        return {}
    out: dict[str, Any] = {}
    for key, value in sorted(raw.items()):
        if hasattr(value, "item") and type(value).__module__ == "numpy":
            value = value.item()
        if _jsonable(value):
            out[f"{name}.{key}"] = value
        elif hasattr(value, "get_params"):
            out[f"{name}.{key}"] = type(value).__name__
    return out


def signature_for(estimator: Any, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """Inputs and outputs the estimator expects, from what it learnt while fitting.

    Feature names come from ``feature_names_in_`` (set when fitted on a
    DataFrame); their dtypes from a DataFrame in the namespace with exactly
    those columns, when there is one.
    """
    signature: dict[str, Any] = {}
    names = getattr(estimator, "feature_names_in_", None)
    n_features = getattr(estimator, "n_features_in_", None)
    if names is not None:
        columns = [str(n) for n in names]
        dtypes = _dtypes_from_namespace(columns, namespace)
        signature["inputs"] = [{"name": c, "type": dtypes.get(c, "unknown")} for c in columns]
    elif n_features is not None:
        signature["inputs"] = {"type": "tensor", "shape": [-1, int(n_features)]}
    classes = getattr(estimator, "classes_", None)
    if classes is not None:
        try:
            signature["outputs"] = {"classes": [c.item() if hasattr(c, "item") else c
                                                for c in list(classes)]}
        except Exception:
            pass
    return signature


def _dtypes_from_namespace(columns: list[str], namespace: Mapping[str, Any]) -> dict[str, str]:
    pandas = sys.modules.get("pandas")
    if pandas is None:
        return {}
    for value in namespace.values():
        if isinstance(value, pandas.DataFrame) and [str(c) for c in value.columns] == columns:
            return {str(c): str(t) for c, t in value.dtypes.items()}
    return {}
