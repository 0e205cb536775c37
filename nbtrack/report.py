"""Plain-text descriptions of runs, shared by the CLI and the magics."""

from __future__ import annotations

import os
import time
from typing import Any

from ._version import __version__
from .cell_record import CellRecord
from .entities import Run

__all__ = ["describe_run", "format_time", "format_cell", "status_line"]


def format_cell(value: Any) -> str:
    """A param or metric value in a table cell."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def format_time(ts: float | None) -> str:
    """Local date and time of an epoch timestamp."""
    return "" if ts is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def describe_run(run: Run, record: CellRecord, registered: list[str] | None = None) -> str:
    """Several lines describing one run: identity, params, metrics, artifacts, environment,
    and the model versions it was registered as."""
    lines = [f"{run.run_id}  {run.status.value}  {run.name or ''}".rstrip(),
             f"  experiment  {run.experiment}",
             f"  started     {format_time(run.start_time)}"]
    if run.duration is not None:
        lines.append(f"  duration    {run.duration:.3f} s")
    if run.cell_id:
        lines.append(f"  cell        {run.cell_id}")
    if record.notebook:
        lines.append(f"  notebook    {record.notebook}")
    if run.parent_run_id:
        lines.append(f"  parent      {run.parent_run_id}")
    for title, mapping in (("params", run.params), ("metrics", run.metrics), ("tags", run.tags)):
        if mapping:
            lines.append(f"  {title}:")
            lines.extend(f"    {key} = {'None' if value is None else format_cell(value)}"
                         for key, value in mapping.items())
    if registered:
        lines.append(f"  registered  {', '.join(registered)}")
    if run.artifacts:
        lines.append("  artifacts:")
        lines.extend(f"    {a.name}  ({a.kind}, {a.size} bytes, sha256 {a.sha256[:12]})"
                     for a in run.artifacts)
    inputs = record.inputs or {}
    if inputs:
        lines.append("  inputs:")
        lines.extend(f"    {name}  {info.get('kind')} {tuple(info.get('shape', ()))} "
                     f"sha256 {str(info.get('sha256'))[:12]}" for name, info in inputs.items())
    env = record.environment or {}
    if env:
        git = env.get("git") or {}
        extra = f", git {str(git.get('commit'))[:10]}{' (dirty)' if git.get('dirty') else ''}" \
            if git else ""
        lines.append(f"  environment Python {env.get('python')} on {env.get('platform')}{extra}")
    timing = set(record.timing or ())
    if timing:
        lines.append(f"  timing      {', '.join(sorted(timing))} (recorded, not compared by "
                     "reproduce)")
    tables = [a for a in run.artifacts if a.kind == "table"]
    if tables:
        lines.append("  tables:")
        lines.extend(f"    {a.name}  {a.meta.get('rows')} rows: "
                     f"{', '.join(map(str, a.meta.get('columns', [])[:12]))}" for a in tables)
    if record.output:
        lines.append("  printed:")
        lines.append("    " + record.output.rstrip().replace("\n", "\n    "))
    if run.error:
        lines.append("  error:")
        lines.append("    " + run.error.rstrip().replace("\n", "\n    "))
    return "\n".join(lines)


def status_line(tracker: Any) -> str:
    """``nbtrack: store <path> · N runs · experiment <name>``."""
    store = tracker.store
    folder = store.folder
    location = store.uri if folder is None else _short_path(str(folder))
    count = store.count()
    experiment = tracker.experiment or "Default"
    return (f"nbtrack {__version__}: store {location} · {count} run{'s' * (count != 1)} · "
            f"experiment {experiment}")


def _short_path(path: str) -> str:
    """The path relative to the working directory when that is shorter."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return relative if len(relative) < len(path) else path
