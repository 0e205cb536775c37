"""Evaluating a fitted model on labelled data: the figures scikit-learn computes.

Classifiers: accuracy, precision, recall and F1 (binary: the second class is the
positive one; multiclass: macro averages and one figure per class), ROC AUC (from
probabilities; NaN when one class is present), log loss and, for binary problems, the
Brier score (these three NaN when ``y`` holds a label the model was not fitted on);
the reliability curve (:mod:`.calibration`) and the confusion matrix. Regressors: MAE,
RMSE and R². Both: permutation feature importance (:mod:`.importance`: 5 repeats, seed
0, on at most 10,000 rows drawn with seed 0). With a sensitive column, a binary
classifier's fairness table by group (:mod:`.fairness`); with ``explain``, SHAP values
of a sample of rows (:mod:`.explain`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidValueError
from .fairness import MIN_GROUP, fairness_flags, fairness_table
from .importance import IMPORTANCE_ROWS, permutation_importances

__all__ = ["evaluate_model", "Evaluation", "MIN_GROUP", "IMPORTANCE_ROWS"]


@dataclass(frozen=True)
class Evaluation:
    """What :func:`evaluate_model` found.

    Attributes
    ----------
    metrics : dict
        Name → value, as logged to the run.
    kind : str
        ``classification`` or ``regression``.
    labels, matrix : list
        The classes and the confusion matrix (rows: true class) of a classifier.
    fairness : pandas.DataFrame or None
        The table by group, with a sensitive column.
    calibration : pandas.DataFrame or None
        The reliability curve(s) of a classifier with probabilities.
    shap : ShapValues or None
        With ``explain``.
    rows : int
        The rows evaluated.
    """

    metrics: dict[str, float]
    kind: str
    labels: list[Any] = field(default_factory=list)
    matrix: list[list[int]] = field(default_factory=list)
    fairness: Any = None
    calibration: Any = None
    shap: Any = None
    rows: int = 0

    @property
    def flags(self) -> list[str]:
        """The fairness figures past their thresholds, as sentences."""
        return fairness_flags(self.metrics)

    def __repr__(self) -> str:
        from .evaluation_report import evaluation_text

        return evaluation_text(self)

    def _repr_html_(self) -> str:
        from .evaluation_report import evaluation_html

        return evaluation_html(self)


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _codes(values: Any, classes: list[Any]) -> Any:
    """Each label's position among the classes (a label the model does not know: one
    past the last), in the smallest integer type. scikit-learn's metric functions look
    up the distinct labels several times each; on 100,000 int64 labels each look-up
    took 2 ms, on int8 codes 0.3 ms. The figures do not change: they depend only on
    which labels are equal."""
    import numpy as np
    import pandas as pd

    codes = pd.Index(classes).get_indexer(values)
    small = np.min_scalar_type(-len(classes) - 1)  # signed, room for "unknown"
    return np.where(codes < 0, len(classes), codes).astype(small)


def _classification(y: Any, predicted: Any, proba: Any,
                    classes: list[Any]) -> tuple[dict[str, float], Any]:
    from sklearn import metrics

    y, predicted = _codes(y, classes), _codes(predicted, classes)
    labels = list(range(len(classes)))
    out: dict[str, float] = {"accuracy": float(metrics.accuracy_score(y, predicted))}
    if len(classes) == 2:
        # precision_score, recall_score and f1_score are each this one function
        p, r, f, _ = metrics.precision_recall_fscore_support(
            y, predicted, pos_label=1, average="binary", zero_division=0)
        out.update(precision=float(p), recall=float(r), f1=float(f))
    else:
        p, r, f, _ = metrics.precision_recall_fscore_support(
            y, predicted, labels=labels, average="macro", zero_division=0)
        out.update(precision=float(p), recall=float(r), f1=float(f))
        per_class = metrics.precision_recall_fscore_support(
            y, predicted, labels=labels, average=None, zero_division=0)
        for name, values in zip(("precision", "recall", "f1"), per_class, strict=False):
            for label, value in zip(classes, values, strict=True):
                out[f"{name}.{label}"] = float(value)
    if proba is not None and (y == len(classes)).any():
        # probabilities say nothing about a label the model cannot predict
        out.update(roc_auc=math.nan, log_loss=math.nan)
        if len(classes) == 2:
            out["brier"] = math.nan
    elif proba is not None:
        present = bool((y != y[0]).any())
        if len(classes) == 2:
            out["roc_auc"] = float(metrics.roc_auc_score(y, proba[:, 1])) if present else math.nan
            out["brier"] = float(metrics.brier_score_loss(y, proba[:, 1], pos_label=1))
        else:
            out["roc_auc"] = float(metrics.roc_auc_score(y, proba, multi_class="ovr",
                                                         average="macro", labels=labels)) \
                if present else math.nan
        out["log_loss"] = float(metrics.log_loss(y, proba, labels=labels))
    return out, metrics.confusion_matrix(y, predicted, labels=labels)


def _regression(y: Any, predicted: Any) -> dict[str, float]:
    from sklearn import metrics

    return {"mae": float(metrics.mean_absolute_error(y, predicted)),
            "rmse": float(metrics.root_mean_squared_error(y, predicted)),
            "r2": float(metrics.r2_score(y, predicted))}


def _groups(X: Any, sensitive: Any, rows: int) -> Any:
    import numpy as np

    if isinstance(sensitive, str):
        columns = list(getattr(X, "columns", []))
        if sensitive not in columns:
            raise InvalidValueError(f"sensitive={sensitive!r} is not a column of X; pass one "
                                    "of its columns or an array with one value per row")
        return X[sensitive].to_numpy()
    groups = np.asarray(sensitive)
    if groups.ndim != 1 or len(groups) != rows:
        raise InvalidValueError(f"sensitive has {len(groups)} values for {rows} rows of X; "
                                "pass one value per row (or the name of a column of X)")
    return groups


def _check(model: Any, X: Any, y: Any) -> None:
    import numpy as np
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
    except NotFittedError:
        raise InvalidValueError(f"the {type(model).__name__} is not fitted; call fit before "
                                "evaluate") from None
    except TypeError:
        raise InvalidValueError(f"{type(model).__name__} is not a scikit-learn estimator; "
                                "evaluate takes a fitted estimator (or pipeline)") from None
    rows = np.shape(X)[0] if np.ndim(X) else 0
    if rows == 0:
        raise InvalidValueError("X has no rows; evaluate needs labelled data")
    if len(y) != rows:
        raise InvalidValueError(f"X has {rows} rows and y {len(y)} values; pass one label "
                                "per row")


def evaluate_model(model: Any, X: Any, y: Any, sensitive: Any = None,
                   explain: bool = False) -> Evaluation:
    """Evaluate ``model`` on ``X``, ``y`` (see the module's note for what is computed).

    Parameters
    ----------
    model
        A fitted scikit-learn estimator or pipeline.
    X : DataFrame or 2-D array
    y : array or Series
        One true label (or value) per row.
    sensitive : str or array, optional
        A column name of ``X``, or an array aligned with it (binary classifiers only).
    explain : bool
        Also compute SHAP values (needs ``nbtrack[explain]``).

    Raises
    ------
    InvalidValueError
        For an unfitted model, mismatched lengths, an unknown sensitive column, or
        ``sensitive`` with anything but a binary classifier.
    """
    import numpy as np
    from sklearn.base import is_classifier

    from .calibration import reliability_table

    _check(model, X, y)
    truth = np.asarray(y)
    classifier = is_classifier(model)
    labels = list(getattr(model, "classes_", np.unique(truth))) if classifier else []
    groups = None
    if sensitive is not None:
        groups = _groups(X, sensitive, len(truth))
        if len(labels) != 2:
            what = f"{len(labels)} classes" if classifier else "a regressor"
            raise InvalidValueError(f"fairness by group needs a binary classifier (selection "
                                    f"rate and TPR are of the positive class), not {what}; "
                                    "leave out sensitive=")
    predicted = np.asarray(model.predict(X))
    matrix: Any = []
    calibration = None
    if classifier:
        proba = model.predict_proba(X) if hasattr(model, "predict_proba") else None
        figures, matrix = _classification(truth, predicted, proba, labels)
        if proba is not None:
            calibration = reliability_table(truth, proba, labels)
    else:
        figures = _regression(truth, predicted)
    figures.update({f"importance.{name}": value for name, value in
                    permutation_importances(model, X, truth, classifier).items()})
    fairness = None
    if groups is not None:
        fairness, gaps = fairness_table(truth, predicted, groups, labels[1])
        figures.update(gaps)
    shap = None
    if explain:
        from .explain import shap_values

        shap = shap_values(model, X, labels)
        figures.update({f"shap.{name}": value for name, value in shap.mean_abs().items()})
    return Evaluation(figures, "classification" if classifier else "regression",
                      [_plain(x) for x in labels], np.asarray(matrix).tolist(), fairness,
                      calibration, shap, len(truth))
