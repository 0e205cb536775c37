"""What fairlearn answers for predictions by group, for the fairness comparison.

Run with the peer Python that has fairlearn installed (not nbtrack's test
environment): each argument is an ``.npz`` file of ``y_true``, ``y_pred`` (0/1, 1 the
positive class) and ``groups`` (text); prints, as JSON, one answer per file:
``MetricFrame.by_group`` of count, selection rate, TPR, FPR and accuracy, and
``demographic_parity_difference``, ``demographic_parity_ratio`` and
``equal_opportunity_difference`` (plus the TPR difference from
``MetricFrame.difference()``).
"""

from __future__ import annotations

import json
import sys


def answer(path: str) -> dict:
    import numpy as np
    from fairlearn.metrics import (MetricFrame, count, demographic_parity_difference,
                                   demographic_parity_ratio, equal_opportunity_difference,
                                   false_positive_rate, selection_rate, true_positive_rate)
    from sklearn.metrics import accuracy_score

    with np.load(path, allow_pickle=False) as data:
        y_true, y_pred, groups = data["y_true"], data["y_pred"], data["groups"]
    frame = MetricFrame(metrics={"count": count, "selection_rate": selection_rate,
                                 "tpr": true_positive_rate, "fpr": false_positive_rate,
                                 "accuracy": accuracy_score},
                        y_true=y_true, y_pred=y_pred, sensitive_features=groups)
    by_group = {str(group): {k: float(v) for k, v in row.items()}
                for group, row in frame.by_group.iterrows()}
    return {"by_group": by_group,
            "demographic_parity_difference": float(demographic_parity_difference(
                y_true, y_pred, sensitive_features=groups)),
            "demographic_parity_ratio": float(demographic_parity_ratio(
                y_true, y_pred, sensitive_features=groups)),
            "equal_opportunity_difference": float(equal_opportunity_difference(
                y_true, y_pred, sensitive_features=groups)),
            "tpr_difference": float(frame.difference()["tpr"])}


def main() -> None:
    json.dump([answer(path) for path in sys.argv[1:]], sys.stdout)


if __name__ == "__main__":
    main()
