"""The model lifecycle API re-exported by :mod:`nbtrack`: evaluation, drift and monitoring."""

from __future__ import annotations

from typing import Any

from .api_common import tracker

__all__ = ["drift", "evaluate", "monitor"]


def drift(reference: Any, current: Any, columns: Any = None, correction: str = "bonferroni",
          types: Any = None, record: bool = True) -> Any:
    """Data drift of ``current`` against ``reference`` (DataFrames), column by column (see
    :mod:`nbtrack.monitoring.drift`); with ``record`` stored as a run tagged
    ``nbtrack.kind=monitor`` (``drift.psi.<feature>``, ``drift.share``, ...).

    Returns
    -------
    DriftReport
        Shown in a notebook as a table, largest PSI first, with severity badges.
    """
    from .monitoring.recording import record_drift

    return record_drift(tracker(), reference, current, columns, correction, types, record)


def evaluate(model: Any, X: Any, y: Any, *, sensitive: Any = None, run: Any = None) -> Any:
    """Evaluate a fitted model on labelled data and log the figures (see
    :mod:`nbtrack.monitoring.evaluation`) to the ``%%track`` cell's run, else to ``run``
    or a new run named ``evaluate``. ``sensitive``: a column of ``X`` or an array.

    Returns
    -------
    Evaluation
        ``metrics``, the confusion matrix and the fairness table; an HTML report.
    """
    from .monitoring.recording import record_evaluation

    return record_evaluation(tracker(), model, X, y, sensitive, run)


def monitor(address: str, reference: Any = None, last: int = 1000) -> Any:
    """How a served version is doing: errors and latency of its last ``last`` logged
    requests and, with a ``reference`` DataFrame, the drift of their inputs."""
    from .monitoring.recording import monitor_served

    return monitor_served(tracker(), address, reference, last)
