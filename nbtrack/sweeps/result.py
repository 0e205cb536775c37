"""What a sweep returns: each point, its run and metrics, and the counts."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PointResult", "SweepResult"]


@dataclass(frozen=True)
class PointResult:
    """One point of a sweep as it ended.

    Parameters
    ----------
    index : int
        The point's place in the grid (the ``sweep_point`` tag of its run).
    params : dict
        The values swept for it.
    status : str
        FINISHED, FAILED, INTERRUPTED, KILLED, or CANCELLED (never started, no run).
    run_id : str or None
        Its run, a child of the source run.
    metrics : dict
        The run's metrics.
    error : str or None
        The error that ended a failed point, in one line.
    seconds : float
        Wall time of the point, kernel start included.
    """

    index: int
    params: dict[str, Any]
    status: str
    run_id: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0


@dataclass(repr=False)
class SweepResult:
    """The outcome of :func:`nbtrack.sweep`.

    Parameters
    ----------
    sweep_id : str
        Tagged as ``sweep`` on every run of the sweep (``tags.sweep = '<id>'`` finds them).
    source : str
        The run swept; the parent of every point's run.
    engine : str
        ``local`` or ``dask``.
    grid : dict
        The grid, name -> values.
    points : list of PointResult
        In grid order.
    seconds : float
        Wall time of the whole sweep.
    warnings : list of str
        What the export of the source run warned about (hidden state).
    """

    sweep_id: str
    source: str
    engine: str
    grid: dict[str, list[Any]]
    points: list[PointResult] = field(default_factory=list)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def _count(self, status: str) -> int:
        return sum(1 for p in self.points if p.status == status)

    @property
    def finished(self) -> int:
        """Points whose run finished."""
        return self._count("FINISHED")

    @property
    def failed(self) -> int:
        """Points that failed (their run FAILED, or none could be recorded)."""
        return self._count("FAILED")

    @property
    def cancelled(self) -> int:
        """Points that did not run to their end because the sweep was cancelled."""
        return sum(1 for p in self.points if p.status in ("CANCELLED", "INTERRUPTED", "KILLED"))

    @property
    def run_ids(self) -> list[str]:
        """The runs the sweep recorded, in grid order."""
        return [p.run_id for p in self.points if p.run_id]

    @property
    def runs(self) -> Any:
        """One row per point: ``point, run_id, status, params.*, metrics.*, error, seconds``
        (a pandas DataFrame)."""
        import pandas as pd

        metric_keys = sorted({k for p in self.points for k in p.metrics})
        rows = []
        for p in self.points:
            row: dict[str, Any] = {"point": p.index, "run_id": p.run_id, "status": p.status}
            row.update({f"params.{k}": p.params.get(k) for k in self.grid})
            row.update({f"metrics.{k}": p.metrics.get(k) for k in metric_keys})
            row.update({"error": p.error, "seconds": p.seconds})
            rows.append(row)
        columns = ["point", "run_id", "status", *(f"params.{k}" for k in self.grid),
                   *(f"metrics.{k}" for k in metric_keys), "error", "seconds"]
        return pd.DataFrame(rows, columns=columns)

    def compare(self) -> Any:
        """The comparison view (:func:`nbtrack.compare`) of the sweep's runs."""
        from ..api_common import tracker
        from ..views.compare import compare_runs

        return compare_runs(tracker(), self.run_ids)

    def summary(self) -> str:
        """One line: counts and wall time."""
        parts = [f"{self.finished} finished"]
        stopped = sum(1 for p in self.points if p.status in ("INTERRUPTED", "KILLED"))
        for count, what in ((self.failed, "failed"), (stopped, "interrupted"),
                            (self._count("CANCELLED"), "not run")):
            if count:
                parts.append(f"{count} {what}")
        return (f"sweep {self.sweep_id} of {self.source} ({self.engine}): {len(self.points)} "
                f"points, {', '.join(parts)} in {self.seconds:.1f} s")

    def __str__(self) -> str:
        lines = [self.summary()]
        names = list(self.grid)
        metric_keys = sorted({k for p in self.points for k in p.metrics})[:4]
        for p in self.points:
            values = " ".join(f"{k}={p.params.get(k)!r}" for k in names)
            metrics = " ".join(f"{k}={p.metrics[k]:.6g}" for k in metric_keys if k in p.metrics)
            tail = f"  {p.error}" if p.error else ""
            lines.append(f"  {p.index:>3} {p.status:<11} {p.run_id or '-':<14} {values}  "
                         f"{metrics}{tail}".rstrip())
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        colors = {"FINISHED": "#2e7d32", "FAILED": "#c62828"}
        names = list(self.grid)
        metric_keys = sorted({k for p in self.points for k in p.metrics})
        head = "".join(f"<th>{html.escape(h)}</th>" for h in
                       ["#", "run", "status", *names, *metric_keys, "error"])
        rows = []
        for p in self.points:
            cells = [str(p.index), html.escape(p.run_id or "–"),
                     f"<span style='color:{colors.get(p.status, '#616161')}'>"
                     f"{html.escape(p.status)}</span>"]
            cells += [html.escape(repr(p.params.get(k))) for k in names]
            cells += ["" if k not in p.metrics else f"{p.metrics[k]:.6g}" for k in metric_keys]
            cells.append(html.escape(p.error or ""))
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        notes = "".join(f"<br/>⚠ {html.escape(w)}" for w in self.warnings)
        return (f"<div class='nbtrack-sweep'><b>{html.escape(self.summary())}</b>{notes}"
                f"<table><tr>{head}</tr>{''.join(rows)}</table></div>")
