"""Drift checks and evaluations written to runs through the tracker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..tracking import ActiveRun, Tracker
from .drift import DriftReport, drift
from .evaluation import Evaluation, evaluate_model

__all__ = ["record_drift", "record_evaluation", "monitor_served", "ServingHealth"]


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


@dataclass(frozen=True)
class ServingHealth:
    """What a model server answered for one version: ``requests``, error ``error_rate``,
    latency percentiles (seconds), the ``drift`` of the inputs it was sent against a
    reference (None without a reference or logged inputs)."""

    address: str
    requests: int
    error_rate: float
    p50: float
    p95: float
    p99: float
    drift: DriftReport | None

    def __repr__(self) -> str:
        head = (f"{self.address}: {self.requests} requests, {self.error_rate:.1%} errors, "
                f"latency p50 {self.p50 * 1e3:.1f} ms · p95 {self.p95 * 1e3:.1f} ms · "
                f"p99 {self.p99 * 1e3:.1f} ms")
        return head if self.drift is None else head + "\n" + repr(self.drift)

    def _repr_html_(self) -> str:
        import html

        head = f"<p><b>{html.escape(repr(self).splitlines()[0])}</b></p>"
        return head + (self.drift._repr_html_() if self.drift is not None else "")


def monitor_served(tracker: Tracker, address: str, reference: Any = None, last: int = 1000,
                   record: bool = True) -> ServingHealth:
    """The last ``last`` requests a server answered for the version ``address`` names:
    errors and latency, and with ``reference`` the drift of their inputs."""
    import numpy as np
    import pandas as pd

    from ..errors import InvalidValueError
    from ..registry import resolve

    version = resolve(tracker.store, address)
    logged = [r for r in tracker.store.backend.registry.requests(version.name)
              if r["version"] == version.version][-last:]
    if not logged:
        raise InvalidValueError(f"no request to {version.address} is logged yet; serve it "
                                f"with nbtrack serve {address} and send it some")
    latencies = np.array([r["latency"] for r in logged])
    errors = sum(r["status"] != 200 for r in logged) / len(logged)
    if reference is None:
        from .reference import load_reference

        reference = load_reference(tracker.store, version)
    if reference is None:
        raise InvalidValueError(
            f"{version.address} has no reference sample to compare with; pass reference= "
            "(--reference train.csv), or register it with nbtrack.register_model(run, "
            "name, reference=X_train)")
    report = None
    frames = [pd.DataFrame(r["inputs"]["data"], columns=[str(c) for c in r["inputs"]["columns"]])
              for r in logged if r["status"] == 200 and r["inputs"]]
    if frames:
        current = pd.concat(frames, ignore_index=True)
        report = record_drift(tracker, reference, current,
                              columns=[c for c in reference.columns if c in current.columns],
                              record=record)
    p50, p95, p99 = (float(np.percentile(latencies, q)) for q in (50, 95, 99))
    return ServingHealth(version.address, len(logged), errors, p50, p95, p99, report)
