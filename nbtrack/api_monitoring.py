"""The model lifecycle API re-exported by :mod:`nbtrack`: evaluation, drift and monitoring."""

from __future__ import annotations

from typing import Any

from .api_common import tracker

__all__ = ["drift", "evaluate", "monitor", "set_monitor_rule", "log_labels"]


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


def evaluate(model: Any, X: Any, y: Any, *, sensitive: Any = None, run: Any = None,
             explain: bool = False) -> Any:
    """Evaluate a fitted model on labelled data and log the figures (see
    :mod:`nbtrack.monitoring.evaluation`) to the ``%%track`` cell's run, else to ``run``
    or a new run named ``evaluate``. ``sensitive``: a column of ``X`` or an array (binary
    classifiers). ``explain=True`` adds SHAP values of up to 1,000 rows (``shap.<feature>``
    metrics, the ``shap_values.npz`` artifact; needs ``pip install 'nbtrack[explain]'``).

    Returns
    -------
    Evaluation
        ``metrics``, the confusion matrix, the reliability curve (``calibration``), the
        fairness table and the SHAP values; an HTML report.
    """
    from .monitoring.evaluation_run import record_evaluation

    return record_evaluation(tracker(), model, X, y, sensitive, run, explain)


def monitor(address: str, reference: Any = None, last: int = 1000, window: str | None = None,
            windows: int = 30, record: bool = True) -> Any:
    """How a served version is doing (see :mod:`nbtrack.monitoring.monitor`): error rate,
    latency p50/p95/p99, throughput and input drift against the training sample kept at
    registration (or ``reference``), over its last ``last`` logged requests or, with
    ``window="1d"`` (``"6h"``, ``"30m"``, ...), over its last ``windows`` windows of
    that length. With ``record`` stored as a run tagged ``nbtrack.kind=monitor``, one
    metric step per window.

    Returns
    -------
    MonitorReport
        ``windows`` (per window: health and drift), ``frame()``; in a notebook a chart
        of the windows and the latest window's drift report.
    """
    from .monitoring.monitor import monitor_served

    return monitor_served(tracker(), address, reference, last, record, window, windows)


def set_monitor_rule(name: str, rule: str | None) -> str | None:
    """Store the retrain rule of a registered model, e.g. ``"drift.share >= 0.5 or
    drift.max_psi >= 0.25 or f1 < baseline.f1 - 0.05"`` (the run-filter grammar with
    arithmetic, over the figures of the latest monitoring window; see
    :mod:`nbtrack.monitoring.rule`); None removes it. ``monitor`` reports whether it
    fires, and ``nbtrack monitor NAME@ALIAS`` exits 1 when it does.

    Raises
    ------
    FilterSyntaxError
        For a rule that does not parse, with the position of the problem.
    """
    from .monitoring.triggers import set_monitor_rule as store_rule

    return store_rule(tracker(), name, rule)


def log_labels(request_ids: Any, y_true: Any) -> int:
    """Store the true labels of served requests (``request_ids``: the ``request_id`` of each
    answer; ``y_true``: per request its label, or a list for a request of several rows).
    ``monitor`` then reports each window's realised performance (accuracy, precision,
    recall, F1, or MAE, RMSE, R²) against the version's recorded metrics, and rules can
    use it (``f1 < baseline.f1 - 0.05``). Returns how many requests got labels."""
    from .monitoring.labels import log_labels as store_labels

    return store_labels(tracker().store, request_ids, y_true)
