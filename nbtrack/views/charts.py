"""Charts of runs as PNG bytes (matplotlib, no display needed)."""

from __future__ import annotations

import io
from typing import Any, Sequence

from ..store.base import RunTable

__all__ = ["history_png", "bar_png", "label_for", "series_png"]

_MAX_LINES = 20


def label_for(table: RunTable, i: int) -> str:
    """A legend label: the run's name, else its short id."""
    name = table.base["name"][i]
    run_id = table.base["run_id"][i]
    return f"{name} ({run_id[:10]})" if name else run_id[:10]


def _figure(width: float = 6.4, height: float = 3.6) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def history_png(store: Any, table: RunTable, key: str, rows: Sequence[int] | None = None) -> bytes:
    """One line per run: the history of metric ``key`` against its step."""
    fig = _figure()
    ax = fig.add_subplot()
    indices = list(rows if rows is not None else range(len(table)))[:_MAX_LINES]
    for i in indices:
        points = store.metric_history(table.base["run_id"][i], key)
        if points:
            ax.plot([p.step for p in points], [p.value for p in points], marker="." if
                    len(points) < 30 else None, label=label_for(table, i))
    ax.set_xlabel("step")
    ax.set_ylabel(key)
    ax.set_title(f"{key} by step")
    ax.grid(alpha=0.3)
    if indices:
        ax.legend(fontsize=7, loc="best")
    return _png(fig)


def bar_png(table: RunTable, key: str, rows: Sequence[int] | None = None) -> bytes:
    """One bar per run: the latest value of metric ``key``."""
    indices = [i for i in (rows if rows is not None else range(len(table)))
               if table.metrics.get(key, [None] * len(table))[i] is not None][:40]
    fig = _figure(6.4, max(1.6, 0.3 * len(indices) + 1))
    ax = fig.add_subplot()
    labels = [label_for(table, i) for i in indices]
    values = [table.metrics[key][i] for i in indices]
    ax.barh(range(len(values)), values, color="#4c72b0")
    ax.set_yticks(range(len(values)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(key)
    ax.set_title(f"{key} by run")
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


def series_png(series: dict[str, tuple[list[int], list[float]]]) -> bytes:
    """One small panel per metric: its values against their steps (the live chart)."""
    count = max(1, len(series))
    fig = _figure(min(3.2 * count, 9.6), 2.6)
    for i, (key, (steps, values)) in enumerate(series.items()):
        ax = fig.add_subplot(1, count, i + 1)
        ax.plot(steps, values, color="#4c72b0")
        ax.set_title(f"{key} = {values[-1]:.4g}", fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    return _png(fig)
