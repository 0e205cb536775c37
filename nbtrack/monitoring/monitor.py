"""How a served version is doing, window by window: health from its serving log and the
drift of the inputs it was sent against its reference sample."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidValueError
from ..tracking import Tracker
from .drift import DriftReport
from .predictions import prediction_values
from .triggers import RuleOutcome, model_experiment
from .windows import (Window, WindowHealth, last_window, parse_duration, time_windows,
                      window_health)

__all__ = ["WindowResult", "MonitorReport", "monitor_served", "MONITOR_KIND"]

#: The ``nbtrack.kind`` tag of a stored monitoring check.
MONITOR_KIND = "monitor"


@dataclass(frozen=True)
class WindowResult:
    """One window's health and, when it logged inputs, their drift."""

    health: WindowHealth
    drift: DriftReport | None
    #: realised performance from labelled requests (``labelled``, ``f1``, ...), if any
    performance: dict[str, float] = field(default_factory=dict)
    #: the drift of the window's predictions from the model's on its reference sample
    predictions: DriftReport | None = None

    def values(self) -> dict[str, float]:
        """The window's figures under the names rules and stored runs use: ``requests``,
        ``error_rate``, ``latency.p50`` ..., ``throughput``, ``drift.share``,
        ``drift.max_psi``, ``drift.detected`` (1 or 0), ``drift.psi.<f>``,
        ``drift.p.<f>``, ``prediction.psi``, ``prediction.p``, ``prediction.drifted``
        (1 or 0), and with labels ``labelled``, ``accuracy``, ``f1``, ..."""
        h = self.health
        out = {"requests": float(h.requests), "errors": float(h.errors),
               "error_rate": h.error_rate, "latency.p50": h.p50, "latency.p95": h.p95,
               "latency.p99": h.p99, "rows": float(h.rows), "throughput": h.throughput}
        if self.drift is not None:
            out.update(self.drift.metrics())
            out["drift.detected"] = float(self.drift.drift_detected)
        if self.predictions is not None:
            out.update(prediction_values(self.predictions))
        out.update(self.performance)
        return out


@dataclass(frozen=True)
class MonitorReport:
    """What :func:`monitor_served` found: one :class:`WindowResult` per window, oldest
    first; the figures of the latest window are also attributes (``requests``,
    ``error_rate``, ``p50``, ``p95``, ``p99``, ``drift``)."""

    address: str
    window: str | None
    windows: list[WindowResult]
    n_reference: int
    run_id: str | None = None
    notes: list[str] = field(default_factory=list)
    rule: RuleOutcome | None = None
    #: the metrics the version's run recorded, which realised performance is set against
    baseline: dict[str, float] = field(default_factory=dict)

    @property
    def fired(self) -> bool:
        """Whether the model's retrain rule fired on the latest window (without a rule:
        whether that window's inputs drifted)."""
        return self.rule.fired if self.rule is not None else self.drift_detected

    @property
    def latest(self) -> WindowResult:
        """The window holding the latest request."""
        return self.windows[-1]

    @property
    def requests(self) -> int:
        return self.latest.health.requests

    @property
    def error_rate(self) -> float:
        return self.latest.health.error_rate

    @property
    def p50(self) -> float:
        return self.latest.health.p50

    @property
    def p95(self) -> float:
        return self.latest.health.p95

    @property
    def p99(self) -> float:
        return self.latest.health.p99

    @property
    def drift(self) -> DriftReport | None:
        return self.latest.drift

    @property
    def drift_detected(self) -> bool:
        """Whether the latest window's inputs drifted."""
        return self.drift is not None and self.drift.drift_detected

    def frame(self) -> Any:
        """One row per window: start, end and its figures (drift share, max PSI, verdict)."""
        import pandas as pd

        rows = []
        for w in self.windows:
            h = w.health
            rows.append({
                "start": pd.to_datetime(h.start, unit="s", utc=True),
                "end": pd.to_datetime(h.end, unit="s", utc=True), "requests": h.requests,
                "error_rate": h.error_rate, "p50": h.p50, "p95": h.p95, "p99": h.p99,
                "throughput": h.throughput,
                "drift_share": w.drift.share if w.drift is not None else math.nan,
                "max_psi": w.drift.max_psi if w.drift is not None else math.nan,
                "drift": ("drift" if w.drift.drift_detected else "no drift")
                if w.drift is not None else ""})
        return pd.DataFrame(rows)

    def performance_line(self) -> str | None:
        """Realised performance of the latest window against the recorded metrics."""
        found = self.latest.performance
        if not found:
            return None
        parts = []
        for key, value in found.items():
            if key == "labelled":
                continue
            before = self.baseline.get(key)
            parts.append(f"{key} {value:.4g}" + ("" if before is None else
                                                  f" (recorded {before:.4g}, "
                                                  f"{value - before:+.4g})"))
        return f"realised on {int(found['labelled'])} labelled rows: " + ", ".join(parts)

    def prediction_line(self) -> str | None:
        """The drift of the latest window's predictions, in one line."""
        found = self.latest.predictions
        if found is None:
            return None
        row = found.features.iloc[0]
        if row["status"] != "ok":
            return f"predictions: {str(row['status']).replace('_', ' ')}"
        verdict = "drifted" if row["drifted"] else "no drift"
        return (f"predictions: {verdict} (PSI {row['psi']:.3f}, {row['test']} "
                f"p {row['p_value']:.3g}) from the model's on its reference sample")

    def headline(self) -> str:
        """One line about the latest window."""
        scope = f"latest {self.window} window" if self.window else "latest requests"
        return (f"{self.address} ({scope}): {self.requests} requests, "
                f"{_percent(self.error_rate)} errors, latency p50 {_ms(self.p50)} · "
                f"p95 {_ms(self.p95)} · p99 {_ms(self.p99)}")

    def __repr__(self) -> str:
        lines = [self.headline()]
        if self.performance_line():
            lines.append(str(self.performance_line()))
        if self.prediction_line():
            lines.append(str(self.prediction_line()))
        if self.drift is not None:
            lines.append(repr(self.drift))
        if len(self.windows) > 1:
            lines.append(self.frame().to_string(index=False))
        if self.rule is not None:
            lines.append(str(self.rule))
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from .chart import history_svg

        parts = [f"<p><b>{html.escape(self.headline())}</b></p>"]
        if self.performance_line():
            parts.append(f"<p>{html.escape(str(self.performance_line()))}</p>")
        if self.prediction_line():
            parts.append(f"<p>{html.escape(str(self.prediction_line()))}</p>")
        if len(self.windows) > 1:
            parts.append(history_svg(self))
        if self.drift is not None:
            parts.append(self.drift._repr_html_())
        if self.rule is not None:
            parts.append(f"<pre>{html.escape(str(self.rule))}</pre>")
        parts += [f"<p>note: {html.escape(n)}</p>" for n in self.notes]
        return '<div class="nbtrack-monitor">' + "".join(parts) + "</div>"


def _percent(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.1%}"


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value * 1e3:.1f} ms"


def _inputs(window: Window) -> Any:
    """The inputs the window's answered requests carried, as one DataFrame (None without)."""
    import pandas as pd

    # rows of requests with the same columns go into one frame: one DataFrame per request
    # would cost more than the drift check itself
    rows: dict[tuple[str, ...], list[Any]] = {}
    for r in window.requests:
        if r["status"] == 200 and r["inputs"]:
            columns = tuple(str(c) for c in r["inputs"]["columns"])
            rows.setdefault(columns, []).extend(r["inputs"]["data"])
    frames = [pd.DataFrame(data, columns=list(columns)) for columns, data in rows.items()]
    return pd.concat(frames, ignore_index=True) if frames else None


def monitor_served(tracker: Tracker, address: str, reference: Any = None, last: int = 1000,
                   record: bool = True, window: str | None = None,
                   windows: int = 30) -> MonitorReport:
    """Health and input drift of a served version, over its latest requests or over
    consecutive time windows.

    Parameters
    ----------
    tracker : Tracker
    address : str
        ``NAME``, ``NAME/3`` or ``NAME@alias``.
    reference : DataFrame, optional
        The training inputs; default: the sample kept when the version was registered.
    last : int
        Without ``window``: the one window of the version's latest ``last`` requests.
    record : bool
        Store the check as a run tagged ``nbtrack.kind=monitor`` (one metric step per
        window).
    window : str, optional
        ``30m``, ``6h``, ``1d``, ...: consecutive windows of that length.
    windows : int
        With ``window``: how many windows, the last one holding the latest request.

    Raises
    ------
    InvalidValueError
        When nothing is logged for the version, or it has no reference sample.
    """
    from ..registry import resolve
    from .drift import drift
    from .labels import labelled_pairs, realised_performance
    from .predictions import prediction_drift, reference_predictions, served_predictions
    from .reference import load_reference
    from .triggers import check_rule, monitor_rule

    version = resolve(tracker.store, address)
    logged = [r for r in tracker.store.backend.registry.requests(version.name)
              if r["version"] == version.version]
    if not logged:
        raise InvalidValueError(f"no request to {version.address} is logged yet; serve it "
                                f"with nbtrack serve {address} and send it some")
    if reference is None:
        reference = load_reference(tracker.store, version)
    if reference is None:
        raise InvalidValueError(
            f"{version.address} has no reference sample to compare with; pass reference= "
            "(--reference train.csv), or register it with nbtrack.register_model(run, "
            "name, reference=X_train)")
    if window is None:
        spans, length = last_window(logged, last), None
    else:
        length = parse_duration(window)
        spans = time_windows(logged, length, windows)
    expected, why_not = reference_predictions(tracker.store, version, reference)
    labels = tracker.store.backend.registry.labels(version.name)
    outputs = (version.signature or {}).get("outputs") or {}
    classes = outputs.get("classes") if isinstance(outputs, dict) else None
    notes = [why_not] if why_not else []
    results = []
    for span in spans:
        current = _inputs(span)
        report = None
        if current is not None:
            columns = [c for c in reference.columns if c in current.columns]
            if not columns:
                notes.append("the logged inputs share no column with the reference")
            else:
                report = drift(reference, current, columns=columns)
        performance = realised_performance(*labelled_pairs(span.requests, labels), classes)
        results.append(WindowResult(window_health(span, length), report, performance,
                                    prediction_drift(expected, served_predictions(span))))
    if not any(r.drift is not None for r in results):
        notes.append("no inputs were logged (the server ran with --no-log-inputs?): "
                     "no drift check")
    rule = monitor_rule(tracker.store, version.name)
    outcome = check_rule(rule, results[-1].values(), version.metrics) if rule else None
    run_id = _record(tracker, version, window, results, outcome) if record else None
    baseline = {k: float(v) for k, v in version.metrics.items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return MonitorReport(version.address, window, results, len(reference), run_id,
                         sorted(set(notes)), outcome, baseline)


def _record(tracker: Tracker, version: Any, window: str | None,
            results: list[WindowResult], rule: RuleOutcome | None) -> str:
    """Store the check as a run: each window's figures at its step (oldest window 0)."""
    tags = {"nbtrack.kind": MONITOR_KIND, "nbtrack.model": version.name,
            "nbtrack.model_version": str(version.version),
            "nbtrack.window": window or "last"}
    if rule is not None:
        tags.update({"nbtrack.rule": rule.rule, "nbtrack.rule_fired": str(rule.fired).lower()})
    with tracker.start_run(name=f"monitor {version.address}", tags=tags,
                           capture_environment=False,
                           experiment=model_experiment(tracker.store, version.run_id)) as run:
        for step, result in enumerate(results):
            tracker.log_metrics(result.values(), step=step, run=run)
    return run.run_id
