"""Fairness of a binary classifier's predictions across the groups of a sensitive column.

Per group: rows, selection rate (share predicted positive), TPR (share of the positive
rows predicted positive), FPR (share of the negative rows predicted positive) and
accuracy. Over the groups of at least :data:`MIN_GROUP` rows: the demographic-parity
difference (largest minus smallest selection rate) and ratio (smallest over largest),
and the equal-opportunity difference (largest minus smallest TPR). Smaller groups are
shown but left out of those figures: a handful of rows moves a rate by whole tenths,
and a flag raised by it would be noise. Missing values of the sensitive column form a
group of their own.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["MIN_GROUP", "FLAG_DIFFERENCE", "FLAG_RATIO", "fairness_table", "fairness_flags"]

MIN_GROUP = 30
#: a difference above this is flagged (selection rate and TPR)
FLAG_DIFFERENCE = 0.10
#: a demographic-parity ratio below this is flagged (the four-fifths rule)
FLAG_RATIO = 0.8


def _rate(part: float, whole: float) -> float:
    return part / whole if whole else math.nan


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

    truth, predicted = np.asarray(truth), np.asarray(predicted)
    codes, levels = pd.factorize(np.asarray(groups, dtype=object), use_na_sentinel=False)
    k = len(levels)

    def count(mask: Any) -> Any:
        return np.bincount(codes, weights=mask, minlength=k)

    chosen, actual = predicted == positive, truth == positive
    rows = np.bincount(codes, minlength=k)
    selected, positives = count(chosen), count(actual)
    true_pos, false_pos = count(chosen & actual), count(chosen & ~actual)
    correct = count(predicted == truth)
    table = pd.DataFrame([
        {"group": levels[i].item() if hasattr(levels[i], "item") else levels[i],
         "rows": int(rows[i]),
         "selection_rate": _rate(selected[i], rows[i]),
         "tpr": _rate(true_pos[i], positives[i]),
         "fpr": _rate(false_pos[i], rows[i] - positives[i]),
         "accuracy": _rate(correct[i], rows[i]),
         "counted": bool(rows[i] >= MIN_GROUP)}
        for i in sorted(range(k), key=lambda i: str(levels[i]))],
        columns=["group", "rows", "selection_rate", "tpr", "fpr", "accuracy", "counted"])
    return table, _differences(table[table["counted"]])


def _differences(counted: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    if len(counted) < 2:
        return out
    rates = counted["selection_rate"]
    out["fairness.demographic_parity_difference"] = float(rates.max() - rates.min())
    out["fairness.demographic_parity_ratio"] = float(rates.min() / rates.max()) \
        if rates.max() > 0 else math.nan
    tprs = counted["tpr"].dropna()
    if len(tprs) >= 2:
        out["fairness.equal_opportunity_difference"] = float(tprs.max() - tprs.min())
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
