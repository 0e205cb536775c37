"""An evaluation written to a run: its metrics, the confusion matrix (drawn by
``compare``), the ``calibration`` and ``fairness`` tables, and the SHAP values as
``shap_values.npz``."""

from __future__ import annotations

import json
from typing import Any

from ..entities import Artifact
from ..tracking import ActiveRun, Tracker
from .evaluation import Evaluation, evaluate_model

__all__ = ["record_evaluation", "CONFUSION_MATRIX", "CALIBRATION", "FAIRNESS", "SHAP_VALUES"]

CONFUSION_MATRIX = "evaluation_confusion_matrix"
CALIBRATION = "calibration"
FAIRNESS = "fairness"
SHAP_VALUES = "shap_values.npz"


def _log(tracker: Tracker, result: Evaluation, target: ActiveRun) -> None:
    tracker.log_metrics(result.metrics, run=target)
    store = tracker.store
    if result.kind == "classification":
        # the matrix scikit-learn counted, in the form log_confusion_matrix writes (counting
        # it again in Python would take longer than the whole evaluation on 100k rows)
        data = json.dumps({"labels": result.labels, "matrix": result.matrix}).encode()
        store.add_artifact(target.run_id, Artifact(CONFUSION_MATRIX, "", 0, "confusion_matrix",
                                                   {"labels": result.labels}), data=data)
    if result.calibration is not None:
        tracker.log_table(result.calibration, name=CALIBRATION, run=target)
    if result.fairness is not None:
        tracker.log_table(result.fairness, name=FAIRNESS, run=target)
    if result.shap is not None:
        shap = result.shap
        meta = {"format": "npz", "rows": int(len(shap.rows)), "features": shap.feature_names,
                "output": shap.output, "explainer": shap.explainer, "classes": shap.classes}
        store.add_artifact(target.run_id, Artifact(SHAP_VALUES, "", 0, "shap", meta),
                           data=shap.to_npz())


def record_evaluation(tracker: Tracker, model: Any, X: Any, y: Any, sensitive: Any = None,
                      run: ActiveRun | None = None, explain: bool = False) -> Evaluation:
    """:func:`~nbtrack.monitoring.evaluation.evaluate_model`, logged to ``run``, else the
    active run (a ``%%track`` cell's), else a new run named ``evaluate``."""
    result = evaluate_model(model, X, y, sensitive, explain)
    target = run or tracker.active_run()
    own = target is None
    if target is None:
        target = tracker.start_run(name="evaluate", capture_environment=False)
    try:
        _log(tracker, result, target)
    finally:
        if own:
            tracker.end_run(target)
    return result
