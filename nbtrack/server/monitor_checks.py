"""Stored monitoring checks as the JupyterLab extension shows them: the latest check of
each registered version (the Models section) and the drift figures of one check (the
run details).

A check is a run tagged ``nbtrack.kind=monitor``; ``nbtrack.monitor`` adds
``nbtrack.model``, ``nbtrack.model_version``, ``nbtrack.window`` and, with a retrain
rule, ``nbtrack.rule`` and ``nbtrack.rule_fired``, and logs one metric step per window.
Only the latest window speaks for the check, so for a check over several windows the
figures are read at its last step: a run's latest value of a metric may come from an
earlier window when the last one did not log it (too few rows for drift, say).
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from ..filters import Comparison, all_of, parse_order_by
from ..monitoring.drift import MAJOR, MODERATE
from ..store import Store

__all__ = ["MONITOR_KIND", "VERDICTS", "check_summary", "latest_checks"]

#: The ``nbtrack.kind`` tag of a stored monitoring check.
MONITOR_KIND = "monitor"
#: Every verdict a check can have, most severe first.
VERDICTS = ("rule_fired", "drifted", "insufficient_data", "no_inputs", "no_drift")
#: How many of the most drifted features the Models section gets per version.
TOP_FEATURES = 3
#: The data set drifts when this share of the features tested drifts (or any is major).
_DRIFT_SHARE = 0.5
_PSI, _P = "drift.psi.", "drift.p."
#: Figures every window logs, so their latest value is always the last window's.
_EVERY_WINDOW = frozenset({"requests", "errors", "error_rate", "latency.p50",
                           "latency.p95", "latency.p99", "rows", "throughput"})


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


def _latest_window(store: Store, run_id: str, metrics: Mapping[str, Any],
                   window: str | None) -> tuple[dict[str, Any], int]:
    """The figures of the check's latest window and how many windows it has."""
    if window in (None, "last"):
        return dict(metrics), 1  # one window, one step: the latest values are its own
    steps = store.metric_history(run_id, "requests")
    if not steps:
        return dict(metrics), 1
    last = steps[-1].step
    values = {k: v for k, v in metrics.items() if k in _EVERY_WINDOW}
    for key in metrics.keys() - _EVERY_WINDOW:
        history = store.metric_history(run_id, key)
        if history and history[-1].step == last:
            values[key] = history[-1].value
    return values, last + 1


def _severity(psi: float | None) -> str:
    if psi is None or math.isnan(psi):
        return "none"
    return "major" if psi >= MAJOR else "moderate" if psi >= MODERATE else "none"


def _features(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each feature with its PSI, p-value and severity, largest PSI first."""
    found: list[tuple[str, float | None, float | None]] = [
        (key[len(_PSI):], _number(value), _number(values.get(_P + key[len(_PSI):])))
        for key, value in values.items() if key.startswith(_PSI)]

    def largest_first(row: tuple[str, float | None, float | None]) -> tuple[bool, float, str]:
        psi = row[1]
        unknown = psi is None or math.isnan(psi)
        return unknown, 0.0 if psi is None or unknown else -psi, row[0]

    return [{"feature": feature, "psi": psi, "p": p, "severity": _severity(psi)}
            for feature, psi, p in sorted(found, key=largest_first)]


def _drift_verdict(values: Mapping[str, Any], features: list[dict[str, Any]]) -> str:
    if "drift.share" not in values:
        return "no_inputs"
    if not features:
        return "insufficient_data"  # a drift check ran but no feature had 30 usable rows
    detected = _number(values.get("drift.detected"))
    if detected is None:
        # a drift check stored before drift.detected was: the data set rule, over the
        # features that were tested (those with a p-value)
        share = _number(values["drift.share"]) or 0.0
        tested = [f for f in features if f["p"] is not None and not math.isnan(f["p"])]
        return "drifted" if share >= _DRIFT_SHARE or any(
            f["severity"] == "major" for f in tested) else "no_drift"
    return "drifted" if detected else "no_drift"


def check_summary(store: Store, run_id: str, start_time: float, metrics: Mapping[str, Any],
                  tags: Mapping[str, str], top: int | None = None) -> dict[str, Any]:
    """What one monitoring check found in its latest window.

    Parameters
    ----------
    store : Store
    run_id, start_time, metrics, tags
        The check's run, as a search or ``get_run`` gives it.
    top : int, optional
        Keep only this many of the most drifted features (default: all).

    Returns
    -------
    dict
        ``run_id``, ``time``, ``model``, ``version``, ``window``, ``windows``,
        ``verdict`` (one of :data:`VERDICTS`), ``drift`` (the drift verdict alone),
        ``share``, ``max_psi``, ``requests``, ``error_rate``, ``rule`` (``{"rule",
        "fired"}`` or None), ``features`` (``{"feature", "psi", "p", "severity"}``,
        largest PSI first) and ``tested`` (how many features have figures).
    """
    window = tags.get("nbtrack.window")
    values, windows = _latest_window(store, run_id, metrics, window)
    features = _features(values)
    drift = _drift_verdict(values, features)
    rule = tags.get("nbtrack.rule")
    fired = tags.get("nbtrack.rule_fired") == "true"
    version = tags.get("nbtrack.model_version")
    return {
        "run_id": run_id, "time": start_time, "model": tags.get("nbtrack.model"),
        "version": int(version) if version and version.isdigit() else None,
        "window": window, "windows": windows,
        "verdict": "rule_fired" if rule and fired else drift, "drift": drift,
        "share": _number(values.get("drift.share")),
        "max_psi": _number(values.get("drift.max_psi")),
        "requests": _number(values.get("requests")),
        "error_rate": _number(values.get("error_rate")),
        "rule": {"rule": rule, "fired": fired} if rule else None,
        "features": features if top is None else features[:top], "tested": len(features)}


def latest_checks(store: Store, name: str, versions: list[int]) -> dict[int, dict[str, Any]]:
    """The newest finished monitoring check of each of the model's ``versions`` that has
    one, as :func:`check_summary` gives it with the :data:`TOP_FEATURES` most drifted
    features."""
    newest = parse_order_by("start_time DESC")
    found: dict[int, dict[str, Any]] = {}
    for version in versions:
        where = all_of(Comparison("tags", "nbtrack.kind", "=", MONITOR_KIND),
                       Comparison("tags", "nbtrack.model", "=", name),
                       Comparison("tags", "nbtrack.model_version", "=", str(version)),
                       Comparison("attributes", "status", "=", "FINISHED"))
        table = store.search(where, newest, None, 1, 0)
        if len(table):
            run = table.record(0)
            found[version] = check_summary(store, run["run_id"], run["start_time"],
                                           run["metrics"], run["tags"], TOP_FEATURES)
    return found
