"""Charts of runs as PNG bytes (matplotlib, no display needed)."""

from __future__ import annotations

import io
from typing import Any, Sequence

from ..store import Store
from ..store.contract import RunTable

__all__ = ["history_png", "bar_png", "label_for", "series_png", "scatter_png", "parallel_png",
           "numeric_params", "confusion_png"]

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


def history_png(store: Store, table: RunTable, key: str,
                rows: Sequence[int] | None = None) -> bytes:
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


def numeric_params(table: RunTable, rows: Sequence[int] | None = None,
                   at_least: int = 2) -> list[str]:
    """Params that are a number in every given row that has them, in at least
    ``at_least`` rows, and not the same number everywhere."""
    indices = list(rows if rows is not None else range(len(table)))
    out = []
    for key, values in sorted(table.params.items()):
        picked = [values[i] for i in indices if values[i] is not None]
        if len(picked) >= at_least and all(isinstance(v, (int, float)) and
                                           not isinstance(v, bool) for v in picked) \
                and len(set(picked)) > 1:
            out.append(key)
    return out


def label_layout(xs: Sequence[float], ys: Sequence[float], log_x: bool = False,
                 limit: int = 12) -> list[tuple[int, str]]:
    """Which points of a scatter get a label, and on which side (``left``/``right``).

    A label is left out when it would sit on one already placed (points within a tenth
    of the axis width and a twentieth of its height); points in the right third are
    labelled on their left, so no label runs off the chart. At most ``limit`` labels.
    """
    import math

    if not xs:
        return []
    px = [math.log10(x) if log_x and x > 0 else x for x in xs]
    x_low, x_high = min(px), max(px)
    y_low, y_high = min(ys), max(ys)
    placed: list[tuple[float, float]] = []
    out: list[tuple[int, str]] = []
    for i in sorted(range(len(xs)), key=lambda j: (-ys[j], px[j])):
        nx = (px[i] - x_low) / (x_high - x_low) if x_high > x_low else 0.5
        ny = (ys[i] - y_low) / (y_high - y_low) if y_high > y_low else 0.5
        if any(abs(nx - qx) < 0.1 and abs(ny - qy) < 0.05 for qx, qy in placed):
            continue
        placed.append((nx, ny))
        out.append((i, "right" if nx > 0.66 else "left"))
        if len(out) == limit:
            break
    return out


def scatter_png(table: RunTable, param: str, metric: str,
                rows: Sequence[int] | None = None) -> bytes:
    """One point per run: a param against a metric (log x axis for wide positive ranges)."""
    indices = [i for i in (rows if rows is not None else range(len(table)))
               if table.params.get(param, [None] * len(table))[i] is not None
               and table.metrics.get(metric, [None] * len(table))[i] is not None]
    xs = [float(table.params[param][i]) for i in indices]
    ys = [table.metrics[metric][i] for i in indices]
    fig = _figure(5.6, 3.6)
    ax = fig.add_subplot()
    ax.scatter(xs, ys, color="#4c72b0")
    ax.margins(0.08)
    log_x = bool(xs) and min(xs) > 0 and max(xs) / min(xs) >= 100
    if log_x:
        ax.set_xscale("log")
    for point, side in label_layout(xs, ys, log_x):
        # the right side of a label touches the point when the point is near the right edge
        ax.annotate(label_for(table, indices[point]), (xs[point], ys[point]), fontsize=6,
                    xytext=(-3, 3) if side == "right" else (3, 3), textcoords="offset points",
                    ha=side, annotation_clip=False)
    ax.set_xlabel(param)
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} vs {param}")
    ax.grid(alpha=0.3)
    return _png(fig)


def parallel_png(table: RunTable, params: Sequence[str], metric: str,
                 rows: Sequence[int] | None = None) -> bytes:
    """Parallel coordinates: one line per run across numeric params, ending at the metric
    (each axis scaled to its own range; colour follows the metric)."""
    from matplotlib import colormaps

    axes = list(params)[:8] + [metric]
    columns = [table.params.get(k) or [] for k in params[:8]] + [table.metrics.get(metric) or []]
    indices = [i for i in (rows if rows is not None else range(len(table)))
               if all(len(c) > i and c[i] is not None for c in columns)][:300]
    fig = _figure(max(4.0, 1.3 * len(axes)), 3.6)
    ax = fig.add_subplot()
    lows = [min(float(c[i]) for i in indices) if indices else 0.0 for c in columns]
    highs = [max(float(c[i]) for i in indices) if indices else 1.0 for c in columns]
    scores = [float(columns[-1][i]) for i in indices]
    low, high = (min(scores), max(scores)) if scores else (0.0, 1.0)
    cmap = colormaps["viridis"]
    for i, score in zip(indices, scores):
        ys = [(float(c[i]) - lo) / (hi - lo) if hi > lo else 0.5
              for c, lo, hi in zip(columns, lows, highs)]
        ax.plot(range(len(axes)), ys, color=cmap((score - low) / (high - low) if high > low
                                                  else 0.5), alpha=0.8)
    ax.set_xticks(range(len(axes)), axes, fontsize=8)
    for x, (lo, hi) in enumerate(zip(lows, highs)):
        ax.annotate(f"{hi:.3g}", (x, 1.0), fontsize=6, xytext=(2, 2), textcoords="offset points")
        ax.annotate(f"{lo:.3g}", (x, 0.0), fontsize=6, xytext=(2, -8), textcoords="offset points")
        ax.axvline(x, color="#999", linewidth=0.8)
    ax.set_yticks([])
    ax.set_title(f"parallel coordinates, coloured by {metric}")
    return _png(fig)


def confusion_png(labels: Sequence[Any], matrix: Sequence[Sequence[float]], title: str) -> bytes:
    """A confusion matrix as a heat map with counts."""
    fig = _figure(3.8, 3.4)
    ax = fig.add_subplot()
    ax.imshow(matrix, cmap="Blues")
    names = [str(label) for label in labels]
    ax.set_xticks(range(len(names)), names, fontsize=7)
    ax.set_yticks(range(len(names)), names, fontsize=7)
    peak = max((max(row) for row in matrix), default=0)
    for r, row in enumerate(matrix):
        for c, value in enumerate(row):
            ax.text(c, r, f"{value:g}", ha="center", va="center", fontsize=7,
                    color="white" if peak and value > peak / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    return _png(fig)
