"""Fitted estimators and trained PyTorch modules a cell bound: which to save, their params
and signature.

Nothing here imports a machine-learning library: an object is only examined
with a library that the user's code has already imported.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Iterable, Mapping

from ..model_torch import is_torch_module, trained_since, training_state

__all__ = ["is_fitted_estimator", "estimator_params", "signature_for", "LearnedState",
           "fitted_models"]

#: Containers larger than this are not searched for models.
_MAX_CONTAINER = 1000


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


def _is_torch_model(value: Any) -> bool:
    """A PyTorch module with weights (a loss function or an activation has none)."""
    return is_torch_module(value) and any(True for _ in value.parameters())


def _is_estimator(value: Any) -> bool:
    """A scikit-learn-compatible estimator or a PyTorch module with weights."""
    if _is_torch_model(value):
        return True
    if isinstance(value, type) or "sklearn" not in sys.modules:
        return False
    from sklearn.base import BaseEstimator

    return isinstance(value, BaseEstimator)


def _reachable(namespace: Mapping[str, Any], names: Iterable[str],
               loop_names: Iterable[str] = ()) -> dict[int, tuple[Any, list[tuple[int, str]]]]:
    """Estimators held by ``names``, directly or one level inside a list, tuple or dict.

    Returns id → (estimator, [(rank, path), ...]); rank 0 is a variable of its own,
    1 a place in a container (``models.lr``, ``classifiers.0``), 2 a name the cell
    rebinds in a loop (it holds only the last iteration's model).
    """
    loops = set(loop_names)
    found: dict[int, tuple[Any, list[tuple[int, str]]]] = {}

    def add(path: str, value: Any, rank: int) -> None:
        found.setdefault(id(value), (value, []))[1].append((rank, path))

    for name in sorted(names):
        value = namespace.get(name)
        if name.startswith("_") or value is None:
            continue
        if _is_estimator(value):
            add(name, value, 2 if name in loops else 0)
        elif isinstance(value, (list, tuple)) and len(value) <= _MAX_CONTAINER:
            for index, item in enumerate(value):
                if _is_estimator(item):
                    add(f"{name}.{index}", item, 1)
                elif isinstance(item, tuple) and 2 <= len(item) <= 3:
                    # ``[("lr", LogisticRegression()), ...]``: the label names the model
                    label = next((x for x in item if isinstance(x, str)), str(index))
                    for part in item:
                        if _is_estimator(part):
                            add(f"{name}.{label}", part, 1)
        elif isinstance(value, dict) and len(value) <= _MAX_CONTAINER:
            for key, item in value.items():
                if _is_estimator(item) and isinstance(key, (str, int)):
                    add(f"{name}.{key}", item, 1)
    return found


def _learned(value: Any) -> tuple[Any, ...]:
    """The attributes fitting sets (``coef_``, ``classes_``): a new fit replaces them; for a
    PyTorch module, its :func:`~nbtrack.model_torch.training_state`."""
    if is_torch_module(value):
        return training_state(value)
    try:
        return tuple((k, v) for k, v in vars(value).items()
                     if k.endswith("_") and not k.startswith("_"))
    except TypeError:
        return ()


class LearnedState:
    """What the estimators a cell can reach had learnt before it ran.

    Holding the learnt attributes themselves (not their ids) keeps a refitted
    model from being mistaken for an unchanged one when a new array happens to
    reuse a freed one's address.
    """

    def __init__(self, namespace: Mapping[str, Any], names: Iterable[str]) -> None:
        self._before = {key: (value, _learned(value))
                        for key, (value, _) in _reachable(namespace, names).items()}

    def changed(self, value: Any) -> bool:
        """Whether ``value`` is new to the cell or was (re)fitted by it."""
        old = self._before.get(id(value))
        if old is None or old[0] is not value:
            return True
        if is_torch_module(value):
            return trained_since(value, old[1])
        now = _learned(value)
        return len(now) != len(old[1]) or any(
            k1 != k2 or v1 is not v2 for (k1, v1), (k2, v2) in zip(now, old[1]))


def _nested(value: Any) -> set[int]:
    """Ids of the estimators inside an estimator (pipeline steps, a search's best) or of the
    modules inside a PyTorch module."""
    if is_torch_module(value):
        return {id(inner) for inner in value.modules() if inner is not value}
    inner: set[int] = set()
    try:
        params = value.get_params(deep=True)
    except Exception:
        params = {}
    candidates = list(params.values()) + [v for _, v in _learned(value)]
    for item in candidates:
        items = item if isinstance(item, (list, tuple)) else [item]
        for sub in items:
            if isinstance(sub, tuple):
                sub = next((x for x in sub if _is_estimator(x)), None)
            if sub is not value and _is_estimator(sub):
                inner.add(id(sub))
    return inner


def fitted_models(namespace: Mapping[str, Any], names: Iterable[str], state: LearnedState,
                  loop_names: Iterable[str] = (),
                  fitted_by_name: Iterable[str] = (),
                  fit_results: Iterable[str] = ()) -> list[tuple[str, Any]]:
    """Every distinct fitted estimator the cell made or fitted, with the name to save it by.

    An estimator counts once however many names hold it: by its own variable when it
    has one (of several, the one bound to the fit's result, ``model`` in
    ``model = clf.fit(X, y)``; a loop variable only as a last resort), else by its
    place in a container.
    Estimators inside another one that is saved (pipeline steps) are left to it,
    unless the cell fitted them by their own name too (``clf1.fit(...)`` beside a
    voting ensemble that holds ``clf1``).
    """
    found = _reachable(namespace, names, loop_names)
    own_fits = {id(namespace[n]) for n in fitted_by_name if n in namespace}
    results = set(fit_results)

    def preference(path: tuple[int, str]) -> tuple[int, bool, str]:
        return path[0], path[1] not in results, path[1]

    chosen = {key: (value, min(paths, key=preference)[1]) for key, (value, paths) in found.items()
              if state.changed(value) and (is_fitted_estimator(value) or
                                           _is_torch_model(value))}
    inside: set[int] = set()
    for value, _ in chosen.values():
        inside |= _nested(value)
    inside -= own_fits
    return sorted(((path, value) for key, (value, path) in chosen.items() if key not in inside),
                  key=lambda item: item[0])


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        return False
    return True


def estimator_params(name: str, estimator: Any) -> dict[str, Any]:
    """The estimator's parameters as ``<name>.<param>`` entries (plain values only; an
    estimator-valued one by its class name).

    ``get_params(deep=False)``, except for a pipeline (anything with ``steps``), whose
    own parameters say nothing of the model: there ``get_params(deep=True)``, so each
    step's parameters appear as ``<name>.<step>__<param>``, as scikit-learn names them.
    A search keeps its own (its estimator's would be the template's, not the chosen).
    """
    try:
        raw = estimator.get_params(deep=isinstance(getattr(estimator, "steps", None), list))
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
