"""Carry a run from one store to another as plain data.

A sweep point that ran where the sweep's store cannot be reached (a Dask worker on
another machine, next to an embedded SQLite store) records its run in a private
store; the run travels back to the driver as a :data:`RunPayload` and is written
there with its id, params, every metric point, tags, context and artifact bytes.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from ..entities import Artifact, Metric, Run
from ..store import Store

__all__ = ["RunPayload", "run_payload", "write_payload"]

#: ``{"run": Run.to_dict(), "context": {...}, "environment": {...} | None,
#: "points": {key: [(value, step, timestamp), ...]}, "artifacts": [(record, bytes), ...]}``
RunPayload = dict[str, Any]


def run_payload(store: Store, run_id: str) -> RunPayload:
    """Everything ``store`` holds about one run, as picklable plain data."""
    run = store.get_run(run_id)
    context = dict(store.get_context(run.run_id))
    environment = context.pop("environment", None)
    points = {key: [(m.value, m.step, m.timestamp) for m in store.metric_history(run.run_id, key)]
              for key in run.metrics}
    artifacts = [(a.to_dict(), store.read_artifact(run.run_id, a.name)) for a in run.artifacts]
    return {"run": run.to_dict(), "context": context, "environment": environment,
            "points": points, "artifacts": artifacts}


def write_payload(store: Store, payload: RunPayload) -> str:
    """Record a run carried by :func:`run_payload` into ``store``; return its id.

    The run keeps its id (ids are unique across stores), its status, times and error.
    """
    run = Run.from_dict(payload["run"])
    ended = run.end_time if run.end_time is not None else time.time()
    # created as it started; its status and end are recorded when it is ended below
    store.create_run(replace(run, metrics={}, artifacts=(), end_time=None),
                     payload.get("context") or {}, payload.get("environment"))
    metrics = [Metric(key, float(value), int(step), float(stamp))
               for key, points in (payload.get("points") or {}).items()
               for value, step, stamp in points]
    store.log_batch(run.run_id, metrics=metrics)
    for record, data in payload.get("artifacts") or ():
        store.add_artifact(run.run_id, Artifact.from_dict(record), data=data)
    store.end_run(run.run_id, run.status, ended, run.error)
    return run.run_id
