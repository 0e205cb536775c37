"""Evaluating a fitted model on labelled data: the figures scikit-learn computes.

Classifiers: accuracy, precision, recall and F1 (binary: the second class is the
positive one; multiclass: macro averages and one figure per class), ROC AUC (from
probabilities; NaN when one class is present), log loss and, for binary
problems, the Brier score; the confusion matrix. Regressors: MAE, RMSE and R².
Both: permutation feature importance (5 repeats, seed 0). With a sensitive column,
a fairness table per group (rows, selection rate, TPR, FPR, accuracy) and the
demographic-parity difference and ratio and the equal-opportunity difference;
groups under 30 rows are shown but not counted in those differences.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["evaluate_model", "Evaluation", "MIN_GROUP"]

MIN_GROUP = 30


@dataclass(frozen=True)
class Evaluation:
    """What :func:`evaluate_model` found: ``metrics`` (name → value), the confusion
    matrix (``labels``, ``matrix``) of a classifier, and the ``fairness`` table (a
    DataFrame, or None without a sensitive column)."""

    metrics: dict[str, float]
    kind: str
    labels: list[Any] = field(default_factory=list)
    matrix: list[list[int]] = field(default_factory=list)
    fairness: Any = None

    def __repr__(self) -> str:
        lines = [f"{self.kind} evaluation"]
        lines += [f"  {k} = {v:.6g}" for k, v in self.metrics.items()]
        if self.fairness is not None:
            lines.append(self.fairness.to_string(index=False))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{v:.4g}</td></tr>"
                       for k, v in self.metrics.items())
        page = (f"<div class='nbtrack-evaluation'><p><b>{html.escape(self.kind)} "
                f"evaluation</b></p><table>{rows}</table>")
        if self.fairness is not None:
            page += "<p><b>by group</b></p>" + self.fairness.to_html(index=False,
                                                                     float_format="{:.4g}".format)
        return page + "</div>"


def _classification(model: Any, X: Any, y: Any) -> tuple[dict[str, float], list[Any], Any]:
    import numpy as np
    from sklearn import metrics

    predicted = model.predict(X)
    classes = list(getattr(model, "classes_", np.unique(y)))
    out: dict[str, float] = {"accuracy": float(metrics.accuracy_score(y, predicted))}
    if len(classes) == 2:
        positive = classes[1]
        for name, fn in (("precision", metrics.precision_score),
                         ("recall", metrics.recall_score), ("f1", metrics.f1_score)):
            out[name] = float(fn(y, predicted, pos_label=positive, zero_division=0))
    else:
        for name, fn in (("precision", metrics.precision_score),
                         ("recall", metrics.recall_score), ("f1", metrics.f1_score)):
            out[name] = float(fn(y, predicted, average="macro", zero_division=0))
            per_class = fn(y, predicted, average=None, labels=classes, zero_division=0)
            for label, value in zip(classes, per_class, strict=True):
                out[f"{name}.{label}"] = float(value)
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(X)
        present = len(np.unique(y)) > 1
        if len(classes) == 2:
            out["roc_auc"] = float(metrics.roc_auc_score(y, proba[:, 1])) if present else math.nan
            out["brier"] = float(metrics.brier_score_loss(y, proba[:, 1], pos_label=classes[1]))
        else:
            out["roc_auc"] = float(metrics.roc_auc_score(y, proba, multi_class="ovr",
                                                         average="macro", labels=classes)) \
                if present else math.nan
        out["log_loss"] = float(metrics.log_loss(y, proba, labels=classes))
    matrix = metrics.confusion_matrix(y, predicted, labels=classes)
    return out, classes, matrix


def _regression(model: Any, X: Any, y: Any) -> dict[str, float]:
    from sklearn import metrics

    predicted = model.predict(X)
    return {"mae": float(metrics.mean_absolute_error(y, predicted)),
            "rmse": float(metrics.root_mean_squared_error(y, predicted)),
            "r2": float(metrics.r2_score(y, predicted))}


def _fairness(model: Any, X: Any, y: Any, groups: Any,
              positive: Any) -> tuple[Any, dict[str, float]]:
    import numpy as np
    import pandas as pd

    predicted = np.asarray(model.predict(X))
    truth = np.asarray(y)
    rows = []
    for group in sorted(pd.unique(groups), key=str):
        mask = np.asarray(groups == group)
        t, p = truth[mask], predicted[mask]
        positives, negatives = t == positive, t != positive
        rows.append({
            "group": group, "rows": int(mask.sum()),
            "selection_rate": float(np.mean(p == positive)),
            "tpr": float(np.mean(p[positives] == positive)) if positives.any() else math.nan,
            "fpr": float(np.mean(p[negatives] == positive)) if negatives.any() else math.nan,
            "accuracy": float(np.mean(p == t)), "counted": bool(mask.sum() >= MIN_GROUP)})
    table = pd.DataFrame(rows)
    counted = table[table["counted"]]
    out: dict[str, float] = {}
    if len(counted) >= 2:
        rates = counted["selection_rate"]
        out["fairness.demographic_parity_difference"] = float(rates.max() - rates.min())
        out["fairness.demographic_parity_ratio"] = float(rates.min() / rates.max()) \
            if rates.max() > 0 else math.nan
        tprs = counted["tpr"].dropna()
        if len(tprs) >= 2:
            out["fairness.equal_opportunity_difference"] = float(tprs.max() - tprs.min())
    return table, out


def evaluate_model(model: Any, X: Any, y: Any, sensitive: Any = None) -> Evaluation:
    """Evaluate ``model`` on ``X``, ``y`` (see the module's note for what is computed).

    ``sensitive`` is a column name of ``X`` or an array aligned with it.
    """
    import numpy as np
    from sklearn.base import is_classifier
    from sklearn.inspection import permutation_importance

    classifier = is_classifier(model)
    labels: list[Any] = []
    matrix: Any = []
    if classifier:
        figures, labels, matrix = _classification(model, X, y)
    else:
        figures = _regression(model, X, y)
    importance = permutation_importance(model, X, y, n_repeats=5, random_state=0)
    names = [str(c) for c in getattr(X, "columns", range(np.shape(X)[1]))]
    for name, value in zip(names, importance.importances_mean, strict=True):
        figures[f"importance.{name}"] = float(value)
    fairness = None
    if sensitive is not None:
        groups = X[sensitive] if isinstance(sensitive, str) else np.asarray(sensitive)
        positive = labels[1] if len(labels) == 2 else (labels[0] if labels else None)
        fairness, gaps = _fairness(model, X, y, groups, positive)
        figures.update(gaps)
    return Evaluation(figures, "classification" if classifier else "regression",
                      [x.item() if hasattr(x, "item") else x for x in labels],
                      np.asarray(matrix).tolist(), fairness)
