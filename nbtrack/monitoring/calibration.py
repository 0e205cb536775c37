"""The reliability curve of a classifier's probabilities: scikit-learn's
``calibration_curve`` over 10 equal-width bins of [0, 1] (the ``uniform`` strategy, so
the bins mean the same for every model and every run), with the rows in each bin.

Binary classifiers get one curve, of the positive (second) class. Multiclass ones get
one curve per class, one-vs-rest: the probability of that class against whether the row
is of that class. A probability on an edge between two bins falls in the lower one, as
in scikit-learn; bins holding no rows are left out, as ``calibration_curve`` leaves them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["BINS", "reliability_table"]

#: equal-width bins over [0, 1]
BINS = 10


def _curve(is_class: Any, probability: Any) -> list[tuple[int, float, float, int]]:
    """(bin, mean predicted probability, fraction of positives, rows) per non-empty bin."""
    import numpy as np
    from sklearn.calibration import calibration_curve

    fraction, mean = calibration_curve(is_class, probability, pos_label=True, n_bins=BINS,
                                       strategy="uniform")
    inner_edges = np.linspace(0.0, 1.0, BINS + 1)[1:-1]
    rows = np.bincount(np.searchsorted(inner_edges, probability), minlength=BINS)
    filled = np.flatnonzero(rows)
    return [(int(b), float(m), float(f), int(rows[b]))
            for b, m, f in zip(filled, mean, fraction, strict=True)]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def reliability_table(truth: Any, proba: Any, classes: list[Any]) -> Any:
    """The reliability curve(s) as a DataFrame.

    Parameters
    ----------
    truth : array
        The true labels.
    proba : array of shape (rows, classes)
        ``predict_proba``'s answer, columns in the order of ``classes``.
    classes : list
        The model's classes.

    Returns
    -------
    pandas.DataFrame
        Columns ``bin`` (0 to 9, bin *b* covering probabilities from b/10 to (b+1)/10),
        ``mean_predicted``, ``fraction_positive`` and ``rows``; multiclass tables have a
        ``class`` column first.
    """
    import numpy as np
    import pandas as pd

    truth = np.asarray(truth)
    columns = ["bin", "mean_predicted", "fraction_positive", "rows"]
    if len(classes) == 2:
        return pd.DataFrame(_curve(truth == classes[1], proba[:, 1]), columns=columns)
    rows = [(_plain(label), *bin_row) for k, label in enumerate(classes)
            for bin_row in _curve(truth == label, proba[:, k])]
    return pd.DataFrame(rows, columns=["class", *columns])
