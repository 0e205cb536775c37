"""Drift checks written to runs through the tracker."""

from __future__ import annotations

from typing import Any

from ..tracking import Tracker
from .drift import DriftReport, drift

__all__ = ["record_drift"]


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
