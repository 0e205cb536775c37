"""Counting a confusion matrix without scikit-learn (the tracker must not need it)."""

from __future__ import annotations

from typing import Any, Iterable

from .errors import InvalidValueError

__all__ = ["confusion_counts"]


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (labels must be JSON)."""
    return value.item() if hasattr(value, "item") else value


def confusion_counts(y_true: Iterable[Any], y_pred: Iterable[Any],
                     labels: Iterable[Any] | None = None) -> tuple[list[Any], list[list[int]]]:
    """The labels and the matrix: rows are true labels, columns predicted ones.

    Without ``labels``, every label seen, sorted by its text; pairs outside the
    labels given are left out (as scikit-learn's ``confusion_matrix`` does).
    """
    truth, predicted = [_plain(v) for v in y_true], [_plain(v) for v in y_pred]
    if len(truth) != len(predicted):
        raise InvalidValueError(f"y_true has {len(truth)} values and y_pred {len(predicted)}; "
                                "pass one prediction per true label")
    chosen = sorted(set(truth) | set(predicted), key=str) if labels is None else \
        [_plain(v) for v in labels]
    position = {label: i for i, label in enumerate(chosen)}
    matrix = [[0] * len(chosen) for _ in chosen]
    for t, p in zip(truth, predicted):
        row, column = position.get(t), position.get(p)
        if row is not None and column is not None:
            matrix[row][column] += 1
    return chosen, matrix
