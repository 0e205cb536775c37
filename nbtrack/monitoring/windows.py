"""Serving-log rows split into windows, and the health figures of each window.

Time windows are aligned to multiples of their length since the epoch (``1d``
windows are UTC days), consecutive, the last one holding the latest request; a
window without a request is kept (0 requests) so a history has no holes. A
``last=N`` window is the version's latest N requests.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Sequence

from ..errors import InvalidValueError

__all__ = ["parse_duration", "Window", "time_windows", "last_window", "WindowHealth",
           "window_health"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*")


def parse_duration(text: str) -> float:
    """Seconds in ``30m``, ``6h``, ``1d``, ``2w`` (``s``, ``m``, ``h``, ``d``, ``w``)."""
    match = _DURATION.fullmatch(str(text))
    seconds = float(match.group(1)) * _UNITS[match.group(2)] if match else 0.0
    if seconds <= 0:
        raise InvalidValueError(f"window {text!r} is not a duration; write a number and a "
                                "unit: 30m, 6h, 1d or 2w")
    return seconds


@dataclass(frozen=True)
class Window:
    """Requests logged in ``[start, end)`` (a ``last=N`` window: from its first to its last
    request, both included)."""

    start: float
    end: float
    requests: Sequence[dict[str, Any]]


def time_windows(rows: Sequence[dict[str, Any]], seconds: float, count: int) -> list[Window]:
    """The last ``count`` consecutive windows of ``seconds`` over ``rows`` (oldest first,
    sorted by ``ts``), starting no earlier than the window of the first row."""
    if count < 1:
        raise InvalidValueError(f"windows must be at least 1, got {count}")
    if not rows:
        return []
    first = math.floor(rows[0]["ts"] / seconds)
    last = math.floor(rows[-1]["ts"] / seconds)
    first = max(first, last - count + 1)
    buckets: dict[int, list[dict[str, Any]]] = {k: [] for k in range(first, last + 1)}
    for row in rows:
        key = math.floor(row["ts"] / seconds)
        if key >= first:
            buckets[key].append(row)
    return [Window(k * seconds, (k + 1) * seconds, buckets[k]) for k in range(first, last + 1)]


def last_window(rows: Sequence[dict[str, Any]], last: int) -> list[Window]:
    """One window of the latest ``last`` rows (none when there are no rows)."""
    if last < 1:
        raise InvalidValueError(f"last must be at least 1, got {last}")
    kept = list(rows)[-last:]
    return [Window(kept[0]["ts"], kept[-1]["ts"], kept)] if kept else []


@dataclass(frozen=True)
class WindowHealth:
    """How a version was served in one window: ``requests``, ``errors`` (answers other than
    200), ``error_rate``, latency percentiles ``p50``, ``p95``, ``p99`` (seconds; NaN
    without requests), ``rows`` predicted and ``throughput`` (rows per second over the
    window's length)."""

    start: float
    end: float
    requests: int
    errors: int
    error_rate: float
    p50: float
    p95: float
    p99: float
    rows: int
    throughput: float


def window_health(window: Window, length: float | None = None) -> WindowHealth:
    """The figures of one window; ``length`` is the seconds the throughput is spread over
    (default: the window's own span)."""
    import numpy as np

    requests = window.requests
    span = length if length is not None else window.end - window.start
    errors = sum(r["status"] != 200 for r in requests)
    rows = sum(int(r["rows"] or 0) for r in requests if r["status"] == 200)
    if requests:
        latencies = np.array([r["latency"] for r in requests], dtype=float)
        p50, p95, p99 = (float(np.percentile(latencies, q)) for q in (50, 95, 99))
    else:
        p50 = p95 = p99 = math.nan
    return WindowHealth(
        start=window.start, end=window.end, requests=len(requests), errors=errors,
        error_rate=errors / len(requests) if requests else math.nan,
        p50=p50, p95=p95, p99=p99, rows=rows,
        throughput=rows / span if span > 0 else math.nan)
