"""True outcomes of served requests, and the performance they show.

``log_labels(request_ids, y_true)`` stores, per request a server answered (its id is
in the answer as ``request_id``), the true label of each row it predicted. Joined to
the predictions the server logged, they give each monitoring window its realised
performance: accuracy, precision, recall and F1 for classifiers (binary: the second
class is the positive one, as in ``evaluate``; multiclass: macro averages), MAE, RMSE
and R² for regressors, computed by scikit-learn.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any, Iterable, Mapping, Sequence

from ..errors import InvalidValueError

__all__ = ["log_labels", "labelled_pairs", "realised_performance"]


def _plain(value: Any) -> Any:
    """A label as JSON can hold it (numpy scalars become Python numbers)."""
    item = getattr(value, "item", None)
    return item() if callable(item) and getattr(value, "ndim", 0) == 0 else value


def log_labels(store: Any, request_ids: Iterable[str], y_true: Iterable[Any]) -> int:
    """Store the true labels of served requests; return how many requests got labels.

    Parameters
    ----------
    store : Store
    request_ids : iterable of str
        The ``request_id`` each answer of the server carried.
    y_true : iterable
        One entry per request: its label, or a list of labels for a request of several
        rows (in the order of its rows). Labels sent again for a request replace the
        earlier ones.
    """
    ids = [str(r) for r in request_ids]
    values = list(y_true)
    if len(ids) != len(values):
        raise InvalidValueError(f"{len(ids)} request ids but {len(values)} labels; give one "
                                "label (or one list of labels) per request")
    now = time.time()
    rows = []
    for request_id, value in zip(ids, values, strict=True):
        labels = list(value) if isinstance(value, (list, tuple)) or \
            getattr(value, "ndim", 0) == 1 else [value]
        rows.append((request_id, now, json.dumps([_plain(v) for v in labels])))
    if rows:
        store.backend.registry.log_labels(rows)
    return len(rows)


def labelled_pairs(requests: Sequence[Mapping[str, Any]],
                   labels: Mapping[str, list[Any]]) -> tuple[list[Any], list[Any]]:
    """Predictions and true labels of the answered requests that have both (a request
    whose label count differs from its prediction count is left out)."""
    predicted: list[Any] = []
    true: list[Any] = []
    for request in requests:
        known = labels.get(request["request_id"])
        predictions = request.get("predictions")
        if request["status"] != 200 or known is None or not isinstance(predictions, list) \
                or len(predictions) != len(known):
            continue
        predicted.extend(predictions)
        true.extend(known)
    return predicted, true


def realised_performance(predicted: list[Any], true: list[Any],
                         classes: Sequence[Any] | None = None) -> dict[str, float]:
    """The figures the labelled predictions give (empty without any): ``labelled`` and
    classification or regression metrics (classification unless a value is a float)."""
    if not predicted:
        return {}
    from sklearn import metrics

    out: dict[str, float] = {"labelled": float(len(predicted))}
    if any(isinstance(v, float) for v in [*predicted, *true]):
        import numpy as np

        y, p = np.asarray(true, dtype=float), np.asarray(predicted, dtype=float)
        out["mae"] = float(metrics.mean_absolute_error(y, p))
        out["rmse"] = float(math.sqrt(metrics.mean_squared_error(y, p)))
        out["r2"] = float(metrics.r2_score(y, p)) if len(y) > 1 else math.nan
        return out
    levels = list(classes) if classes else sorted({*predicted, *true}, key=str)
    binary = len(levels) == 2
    options: dict[str, Any] = {"pos_label": levels[1], "average": "binary"} if binary else \
        {"average": "macro", "labels": levels}
    out["accuracy"] = float(metrics.accuracy_score(true, predicted))
    for name, score in (("precision", metrics.precision_score),
                        ("recall", metrics.recall_score), ("f1", metrics.f1_score)):
        out[name] = float(score(true, predicted, zero_division=0, **options))
    return out
