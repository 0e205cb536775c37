"""Permutation feature importance: how much the model's score drops when one feature's
values are shuffled among the rows, averaged over :data:`REPEATS` shuffles (the
definition scikit-learn's ``permutation_importance`` uses, with its default score:
accuracy for classifiers, R² for regressors).

Computed on at most :data:`IMPORTANCE_ROWS` rows drawn with seed 0, the shuffles drawn
with seed 0 too (one ``numpy.random.default_rng(0)``: for each feature in column order,
for each repeat, ``rng.permutation(rows)``). The cost is features x repeats predictions,
so on 100,000 rows it would dominate an evaluation; 10,000 rows pin an accuracy to
about half a point, finer than the importances that matter. The sample is copied once
and one column replaced per shuffle: copying the whole table per feature, as
scikit-learn's function does, cost more than predicting 10,000 rows of a linear model.
"""

from __future__ import annotations

from typing import Any

__all__ = ["IMPORTANCE_ROWS", "REPEATS", "importance_sample", "permutation_importances"]

IMPORTANCE_ROWS = 10_000
REPEATS = 5


def importance_sample(rows: int) -> Any:
    """The positions of the rows importance is computed on (sorted; all when few)."""
    import numpy as np

    if rows <= IMPORTANCE_ROWS:
        return np.arange(rows)
    return np.sort(np.random.default_rng(0).choice(rows, IMPORTANCE_ROWS, replace=False))


def _scorer(classifier: bool, truth: Any) -> Any:
    import numpy as np

    if classifier:
        return lambda predicted: float(np.mean(predicted == truth))
    spread = float(np.sum((truth - truth.mean()) ** 2))
    return lambda predicted: 1.0 - float(np.sum((truth - predicted) ** 2)) / spread \
        if spread else float("nan")


def permutation_importances(model: Any, X: Any, y: Any, classifier: bool,
                            predicted: Any = None) -> dict[str, float]:
    """Mean score drop per feature name (``str`` of each column, or its position).

    Parameters
    ----------
    model
        A fitted estimator.
    X : DataFrame or 2-D array
    y : array
        The true labels (or values), one per row.
    classifier : bool
        Score by accuracy (else by R²).
    predicted : array, optional
        The model's predictions for every row of ``X``, when already made.
    """
    import numpy as np

    picks = importance_sample(len(y))
    frame = hasattr(X, "iloc")
    sample = X.iloc[picks] if frame else np.asarray(X)[picks]
    score = _scorer(classifier, np.asarray(y)[picks])
    baseline = score(np.asarray(model.predict(sample)) if predicted is None
                     else np.asarray(predicted)[picks])
    rng = np.random.default_rng(0)
    work = sample.copy()
    names = [str(c) for c in getattr(X, "columns", range(np.shape(X)[1]))]
    out = {}
    for j, name in enumerate(names):
        # .array keeps a column's own dtype (categories, nullable integers) when shuffled
        original = sample.iloc[:, j].array if frame else sample[:, j].copy()
        drops = []
        for _ in range(REPEATS):
            shuffled = original.take(rng.permutation(len(picks)))
            if frame:
                work.isetitem(j, shuffled)
            else:
                work[:, j] = shuffled
            drops.append(baseline - score(np.asarray(model.predict(work))))
        if frame:
            work.isetitem(j, original)
        else:
            work[:, j] = original
        out[name] = float(np.mean(drops))
    return out
