"""Permutation feature importance: how much the model's score drops when one feature's
values are shuffled among the rows, by scikit-learn's ``permutation_importance`` with
its default score (accuracy for classifiers, R² for regressors), :data:`REPEATS`
shuffles, ``random_state=0``.

Computed on at most :data:`IMPORTANCE_ROWS` rows drawn with seed 0. The cost is
features x repeats predictions, so on 100,000 rows it would dominate an evaluation;
10,000 rows pin an accuracy to about half a point, finer than the importances that
matter. A table whose columns share one numeric dtype is handed to scikit-learn as an
array and turned back into a table (the same names and dtype, no copy) before each
prediction: scikit-learn shuffles an array's column in place, while for a table it
copies the whole table per feature and assigns through pandas, which cost more than
predicting 10,000 rows of a linear model.
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["IMPORTANCE_ROWS", "REPEATS", "importance_sample", "permutation_importances"]

IMPORTANCE_ROWS = 10_000
REPEATS = 5


def importance_sample(rows: int) -> Any:
    """The positions of the rows importance is computed on (sorted; all when few)."""
    import numpy as np

    if rows <= IMPORTANCE_ROWS:
        return np.arange(rows)
    return np.sort(np.random.default_rng(0).choice(rows, IMPORTANCE_ROWS, replace=False))


def _as_array(sample: Any) -> tuple[Any, Callable[[Any], Any]]:
    """``sample`` as scikit-learn should shuffle it, and how to give the model it back."""
    import numpy as np

    if not hasattr(sample, "iloc"):
        return np.asarray(sample), lambda values: values
    dtypes = set(sample.dtypes)
    shared = next(iter(dtypes)) if len(dtypes) == 1 else None
    if not isinstance(shared, np.dtype) or shared.kind not in "biuf":
        return sample, lambda values: values
    import pandas as pd

    columns = sample.columns
    return sample.to_numpy(copy=True), lambda values: pd.DataFrame(values, columns=columns,
                                                                   copy=False)


def _scorer(classifier: bool, rebuild: Callable[[Any], Any]) -> Callable[..., float]:
    """Accuracy or R² exactly as ``accuracy_score``/``r2_score`` give them (a constant
    truth scores 1 when met exactly, else 0), without their input checks: those cost
    more than the prediction on every one of the features x repeats calls."""
    import numpy as np

    def score(model: Any, values: Any, truth: Any) -> float:
        predicted = np.asarray(model.predict(rebuild(values)))
        if classifier:
            return float(np.mean(predicted == truth))
        residual = float(np.sum((truth - predicted) ** 2))
        spread = float(np.sum((truth - np.mean(truth)) ** 2))
        if spread == 0:
            return 1.0 if residual == 0 else 0.0
        return 1.0 - residual / spread

    return score


def permutation_importances(model: Any, X: Any, y: Any, classifier: bool) -> dict[str, float]:
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
    """
    import numpy as np
    from sklearn.inspection import permutation_importance

    picks = importance_sample(len(y))
    sample = X.iloc[picks] if hasattr(X, "iloc") else np.asarray(X)[picks]
    values, rebuild = _as_array(sample)
    result = permutation_importance(model, values, np.asarray(y)[picks],
                                    scoring=_scorer(classifier, rebuild),
                                    n_repeats=REPEATS, random_state=0)
    names = [str(c) for c in getattr(X, "columns", range(np.shape(X)[1]))]
    return dict(zip(names, (float(v) for v in result.importances_mean)))
