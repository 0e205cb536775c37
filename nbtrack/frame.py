"""Runs as a pandas DataFrame with MLflow's column names."""

from __future__ import annotations

from typing import Any

from .store.contract import RunTable

__all__ = ["runs_frame"]

_BASE = ("run_id", "experiment", "name", "status")


def runs_frame(table: RunTable, compact: bool = False) -> Any:
    """Build the DataFrame: run_id, experiment, name, status, start_time, end_time,
    duration, then ``params.*``, ``metrics.*`` and ``tags.*`` (keys sorted).

    ``compact`` is the frame for reading on screen (``%track runs``): the experiment
    only when the runs span several, start times to the second, no end time or tags,
    the results before the settings, and no dotted estimator settings (``clf.alpha``).
    """
    import numpy as np
    import pandas as pd

    if compact:
        return _compact_frame(table, np, pd)

    base = table.base
    start = np.array(base.get("start_time", []), dtype="float64")
    end = np.array(base.get("end_time", []), dtype="float64")
    columns: dict[str, Any] = {name: base.get(name, []) for name in _BASE}
    columns["start_time"] = pd.to_datetime(start, unit="s", utc=True)
    columns["end_time"] = pd.to_datetime(end, unit="s", utc=True)
    columns["duration"] = end - start
    for key in sorted(table.params):
        columns[f"params.{key}"] = table.params[key]
    for key in sorted(table.metrics):
        columns[f"metrics.{key}"] = np.array(table.metrics[key], dtype="float64")
    for key in sorted(table.tags):
        columns[f"tags.{key}"] = table.tags[key]
    return pd.DataFrame(columns)


def _compact_frame(table: RunTable, np: Any, pd: Any) -> Any:
    base = table.base
    start = np.array(base.get("start_time", []), dtype="float64")
    end = np.array(base.get("end_time", []), dtype="float64")
    columns: dict[str, Any] = {"run_id": base.get("run_id", [])}
    if len(set(base.get("experiment", []))) > 1:
        columns["experiment"] = base["experiment"]
    columns["name"] = base.get("name", [])
    columns["status"] = base.get("status", [])
    columns["start_time"] = pd.to_datetime(start, unit="s", utc=True).floor("s")
    columns["duration"] = np.round(end - start, 2)
    for key in sorted(table.metrics):
        columns[f"metrics.{key}"] = np.array(table.metrics[key], dtype="float64")
    for key in sorted(k for k in table.params if "." not in k):
        columns[f"params.{key}"] = table.params[key]
    return pd.DataFrame(columns)
