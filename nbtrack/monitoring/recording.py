"""Drift checks and evaluations written to runs through the tracker."""

from __future__ import annotations

from typing import Any

from ..tracking import ActiveRun, Tracker
from .drift import DriftReport, drift
from .evaluation import Evaluation, evaluate_model

__all__ = ["record_drift", "record_evaluation"]


def record_drift(tracker: Tracker, reference: Any, current: Any, columns: Any = None,
                 correction: str = "bonferroni", types: Any = None,
                 record: bool = True) -> DriftReport:
    """:func:`~nbtrack.monitoring.drift.drift`, stored (unless ``record`` is false) as a
    run tagged ``nbtrack.kind=monitor``."""
    report = drift(reference, current, columns=columns, correction=correction, types=types)
    if record:
        with tracker.start_run(name="drift", tags={"nbtrack.kind": "monitor"},
                               capture_environment=False) as run:
            tracker.log_metrics(report.metrics(), run=run)
    return report


def record_evaluation(tracker: Tracker, model: Any, X: Any, y: Any, sensitive: Any = None,
                      run: ActiveRun | None = None) -> Evaluation:
    """:func:`~nbtrack.monitoring.evaluation.evaluate_model`, logged to ``run``, else the
    active run (a ``%%track`` cell's), else a new run named ``evaluate``."""
    result = evaluate_model(model, X, y, sensitive)
    target = run or tracker.active_run()
    own = target is None
    if target is None:
        target = tracker.start_run(name="evaluate", capture_environment=False)
    try:
        tracker.log_metrics(result.metrics, run=target)
        if result.kind == "classification":
            tracker.log_confusion_matrix(y, model.predict(X), labels=result.labels,
                                         name="evaluation_confusion_matrix", run=target)
        if result.fairness is not None:
            tracker.log_table(result.fairness, name="fairness", run=target)
    finally:
        if own:
            tracker.end_run(target)
    return result
