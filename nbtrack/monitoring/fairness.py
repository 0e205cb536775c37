"""Fairness of a binary classifier's predictions across the groups of a sensitive column,
by fairlearn's ``MetricFrame`` (the ``nbtrack[fairness]`` extra).

Per group: rows, selection rate (share predicted positive), TPR (share of the positive
rows predicted positive), FPR (share of the negative rows predicted positive) and
accuracy; a TPR of a group without positive rows (an FPR without negative ones) is NaN,
where fairlearn's functions give 0. Over the groups of at least :data:`MIN_GROUP` rows:
the demographic-parity difference (largest minus smallest selection rate) and ratio
(smallest over largest), and the equal-opportunity difference (largest minus smallest
TPR, over the groups that have positive rows), each ``MetricFrame.difference()`` or
``ratio()`` over those groups' rows. Smaller groups are shown but left out of those
figures: a handful of rows moves a rate by whole tenths, and a flag raised by it would
be noise. Missing values of the sensitive column form a group of their own.
"""

from __future__ import annotations

import importlib
import math
from typing import Any

from ..errors import InvalidValueError

__all__ = ["MIN_GROUP", "FLAG_DIFFERENCE", "FLAG_RATIO", "fairness_table", "fairness_flags",
           "fairlearn_metrics"]

MIN_GROUP = 30
#: a difference above this is flagged (selection rate and TPR)
FLAG_DIFFERENCE = 0.10
#: a demographic-parity ratio below this is flagged (the four-fifths rule)
FLAG_RATIO = 0.8


def fairlearn_metrics() -> Any:
    """``fairlearn.metrics``, or a one-line error saying how to install it."""
    try:
        # through importlib: fairlearn ships no type information, and mypy checks this
        # module whether or not the extra is installed
        return importlib.import_module("fairlearn.metrics")
    except ImportError:
        raise InvalidValueError("fairness by group (sensitive=) needs fairlearn; install "
                                "it with pip install 'nbtrack[fairness]'") from None


def _frame(metrics: Any, functions: dict[str, Any], chosen: Any, actual: Any,
           codes: Any) -> Any:
    return metrics.MetricFrame(metrics=functions, y_true=actual, y_pred=chosen,
                               sensitive_features=codes)


def fairness_table(truth: Any, predicted: Any, groups: Any,
                   positive: Any) -> tuple[Any, dict[str, float]]:
    """The table by group and the differences between the groups counted.

    Parameters
    ----------
    truth, predicted : arrays
        True and predicted labels, one per row.
    groups : array or Series
        The sensitive value of each row.
    positive : label
        The positive class.

    Returns
    -------
    (pandas.DataFrame, dict)
        The table (``group``, ``rows``, ``selection_rate``, ``tpr``, ``fpr``,
        ``accuracy``, ``counted``; groups sorted by their text) and the metrics
        ``fairness.demographic_parity_difference``, ``..._ratio`` and
        ``fairness.equal_opportunity_difference`` (each only when two counted groups
        have the rates it needs).
    """
    import numpy as np
    import pandas as pd
    from sklearn.metrics import accuracy_score

    metrics = fairlearn_metrics()
    chosen = (np.asarray(predicted) == positive).astype(np.int8)
    actual = (np.asarray(truth) == positive).astype(np.int8)
    correct = (np.asarray(predicted) == np.asarray(truth)).astype(np.int8)
    # groups go to fairlearn as codes: missing values stay a group, mixed types compare
    codes, levels = pd.factorize(np.asarray(groups, dtype=object), use_na_sentinel=False)
    frame = _frame(metrics, {"rows": metrics.count, "selection_rate": metrics.selection_rate,
                             "tpr": metrics.true_positive_rate,
                             "fpr": metrics.false_positive_rate}, chosen, actual, codes)
    # accuracy on the labels themselves: a label the model was never fitted on is wrong
    # even where its binarised form would agree
    accuracy = _frame(metrics, {"accuracy": accuracy_score}, correct,
                      np.ones_like(correct), codes).by_group["accuracy"]
    by_group = frame.by_group
    positives = pd.Series(actual).groupby(codes).sum()
    negatives = pd.Series(1 - actual).groupby(codes).sum()
    table = pd.DataFrame([
        {"group": levels[i].item() if hasattr(levels[i], "item") else levels[i],
         "rows": int(by_group.loc[i, "rows"]),
         "selection_rate": float(by_group.loc[i, "selection_rate"]),
         "tpr": float(by_group.loc[i, "tpr"]) if positives[i] else math.nan,
         "fpr": float(by_group.loc[i, "fpr"]) if negatives[i] else math.nan,
         "accuracy": float(accuracy[i]),
         "counted": bool(by_group.loc[i, "rows"] >= MIN_GROUP)}
        for i in sorted(range(len(levels)), key=lambda i: str(levels[i]))],
        columns=["group", "rows", "selection_rate", "tpr", "fpr", "accuracy", "counted"])
    counted = {i for i in range(len(levels)) if by_group.loc[i, "rows"] >= MIN_GROUP}
    return table, _differences(metrics, chosen, actual, codes, counted,
                               {i for i in counted if positives[i]})


def _differences(metrics: Any, chosen: Any, actual: Any, codes: Any, counted: set[int],
                 with_positives: set[int]) -> dict[str, float]:
    import numpy as np

    out: dict[str, float] = {}
    if len(counted) < 2:
        return out
    rows = np.isin(codes, list(counted))
    rates = _frame(metrics, {"rate": metrics.selection_rate}, chosen[rows], actual[rows],
                   codes[rows])
    out["fairness.demographic_parity_difference"] = float(rates.difference()["rate"])
    out["fairness.demographic_parity_ratio"] = float(rates.ratio()["rate"]) \
        if rates.group_max()["rate"] > 0 else math.nan
    if len(with_positives) >= 2:
        rows = np.isin(codes, list(with_positives))
        tprs = _frame(metrics, {"tpr": metrics.true_positive_rate}, chosen[rows],
                      actual[rows], codes[rows])
        out["fairness.equal_opportunity_difference"] = float(tprs.difference()["tpr"])
    return out


def fairness_flags(metrics: dict[str, float]) -> list[str]:
    """A sentence for each fairness figure past its threshold (none when all are within)."""
    flags = []
    dp = metrics.get("fairness.demographic_parity_difference", math.nan)
    ratio = metrics.get("fairness.demographic_parity_ratio", math.nan)
    eo = metrics.get("fairness.equal_opportunity_difference", math.nan)
    if dp > FLAG_DIFFERENCE:
        flags.append(f"selection rates differ by {dp:.3f} between groups "
                     f"(over {FLAG_DIFFERENCE:.2f})")
    if ratio < FLAG_RATIO:
        flags.append(f"the smallest selection rate is {ratio:.1%} of the largest "
                     f"(under {FLAG_RATIO:.0%}, the four-fifths rule)")
    if eo > FLAG_DIFFERENCE:
        flags.append(f"true-positive rates differ by {eo:.3f} between groups "
                     f"(over {FLAG_DIFFERENCE:.2f})")
    return flags
