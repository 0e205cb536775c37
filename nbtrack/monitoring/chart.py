"""A monitoring history as a static inline SVG: one small line chart per figure, the
windows along the x-axis, drifted windows marked red. Plain SVG in HTML, so nbconvert,
nbviewer and GitHub show it without a kernel."""

from __future__ import annotations

import html
import math
from typing import Any

__all__ = ["history_svg"]

_WIDTH, _HEIGHT, _PAD = 220, 56, 4
#: (figure, label, how the latest value is written)
_PANELS = (("requests", "requests", "{:.0f}"), ("error_rate", "error rate", "{:.1%}"),
           ("p95", "latency p95 (s)", "{:.3g}"), ("drift_share", "drift share", "{:.2f}"),
           ("max_psi", "max PSI", "{:.3f}"))


def _panel(label: str, values: list[float], drifted: list[bool], shown: str) -> str:
    finite = [v for v in values if not math.isnan(v)]
    low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    if high == low:
        low, high = low - 0.5, high + 0.5
    step = (_WIDTH - 2 * _PAD) / max(1, len(values) - 1)

    def point(i: int, v: float) -> tuple[float, float]:
        y = _HEIGHT - _PAD - (v - low) / (high - low) * (_HEIGHT - 2 * _PAD)
        return _PAD + i * step, y

    segments: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    for i, v in enumerate(values):
        if math.isnan(v):  # an empty window breaks the line
            if current:
                segments.append(current)
            current = []
        else:
            current.append(point(i, v))
    if current:
        segments.append(current)
    lines = "".join(
        '<polyline fill="none" stroke="#1565c0" stroke-width="1.5" points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in seg) + '"/>' for seg in segments)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{"#c62828" if bad else "#1565c0"}"/>'
        for (i, v), bad in zip(enumerate(values), drifted, strict=True) if not math.isnan(v)
        for x, y in [point(i, v)])
    return (f'<div style="display:inline-block;margin:0 12px 8px 0;font-size:11px">'
            f"<div>{html.escape(label)}: <b>{html.escape(shown)}</b></div>"
            f'<svg width="{_WIDTH}" height="{_HEIGHT}" role="img" '
            f'aria-label="{html.escape(label)} per window" '
            f'style="background:#fafafa;border:1px solid #e0e0e0">{lines}{dots}</svg></div>')


def history_svg(report: Any) -> str:
    """The charts of a :class:`~nbtrack.monitoring.monitor.MonitorReport` with several
    windows, with the first and last window's start under them."""
    frame = report.frame()
    drifted = [d == "drift" for d in frame["drift"]]
    panels = []
    for column, label, form in _PANELS:
        values = [float(v) for v in frame[column]]
        latest = values[-1] if values else math.nan
        shown = "–" if math.isnan(latest) else form.format(latest)
        panels.append(_panel(label, values, drifted, shown))
    span = (f"{len(frame)} windows of {report.window}, {frame['start'].iloc[0]:%Y-%m-%d %H:%M}"
            f" → {frame['start'].iloc[-1]:%Y-%m-%d %H:%M} UTC (red: drift detected)")
    return (f'<div class="nbtrack-monitor-history">{"".join(panels)}'
            f'<div style="font-size:11px;color:#555">{html.escape(span)}</div></div>')
