"""How each buffered operation is written to a SQL backend: one function per kind of op."""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from ..entities import Artifact, Metric
from .codec import encode_float
from .contract import Op
from .dialect import SQLITE, Dialect, SQLConnection

__all__ = ["WriteState", "write_ops", "experiment_id"]


@dataclass
class WriteState:
    """What writes remember across transactions of one connection."""

    host: str
    #: how this backend's SQL differs (param columns, clock)
    dialect: Dialect = SQLITE
    #: experiment name -> id; cleared when a transaction that may have created one fails
    experiment_ids: dict[str, int] = field(default_factory=dict)
    #: the last environment written (the same object comes back while nothing changed)
    #: and its hash; cleared with ``experiment_ids``
    last_environment: tuple[Any, str] | None = None

    def forget(self) -> None:
        """Drop what a failed transaction may have rolled back."""
        self.experiment_ids.clear()
        self.last_environment = None


def experiment_id(c: SQLConnection, state: WriteState, name: str) -> int:
    """The id of experiment ``name``, created on first use."""
    cached = state.experiment_ids.get(name)
    if cached is not None:
        return cached
    c.execute("INSERT INTO experiments (name, created) VALUES (?, ?) ON CONFLICT (name) "
              "DO NOTHING", (name, time.time()))
    exp_id: int = c.execute("SELECT experiment_id FROM experiments WHERE name = ?",
                            (name,)).fetchone()[0]
    state.experiment_ids[name] = exp_id
    return exp_id


def write_ops(c: SQLConnection, state: WriteState, ops: Sequence[Op]) -> None:
    """Write ``ops`` in order inside the caller's transaction."""
    for op in ops:
        _WRITERS[op.kind](c, state, op.run_id, op.payload)


def _create_run(c: SQLConnection, state: WriteState, run_id: str, payload: Any) -> None:
    run, context, environment = payload
    env_hash = None
    if environment and state.last_environment is not None and \
            state.last_environment[0] is environment:
        env_hash = state.last_environment[1]
    elif environment:
        body = json.dumps(environment, sort_keys=True, default=str)
        env_hash = hashlib.sha256(body.encode()).hexdigest()[:32]
        c.execute("INSERT INTO environments VALUES (?, ?) ON CONFLICT (env_hash) DO NOTHING",
                  (env_hash, body))
        state.last_environment = (environment, env_hash)
    c.execute(
        "INSERT INTO runs (run_id, experiment_id, name, status, start_time, end_time, "
        "cell_id, parent_run_id, host, pid, heartbeat, error, env_hash) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (run.run_id, experiment_id(c, state, run.experiment), run.name, run.status.value,
         run.start_time, run.end_time, run.cell_id, run.parent_run_id, run.host or state.host,
         run.pid or os.getpid(), run.heartbeat or run.start_time, run.error, env_hash))
    if run.params:
        _params(c, state, run_id, list(run.params.items()))
    if run.tags:
        _tags(c, state, run_id, list(run.tags.items()))
    if context:
        _context(c, state, run_id, context)


def _params(c: SQLConnection, state: WriteState, run_id: str,
            params: list[tuple[str, Any]]) -> None:
    row = state.dialect.param_row
    c.executemany(state.dialect.params_insert, [row(run_id, k, v) for k, v in params])


def _tags(c: SQLConnection, state: WriteState, run_id: str,
          tags: list[tuple[str, str]]) -> None:
    c.executemany("INSERT INTO tags (run_id, key, value) VALUES (?,?,?) "
                  "ON CONFLICT (run_id, key) DO UPDATE "
                  "SET value = excluded.value",
                  [(run_id, k, v) for k, v in tags])


def _context(c: SQLConnection, state: WriteState, run_id: str,
             context: dict[str, Any]) -> None:
    c.executemany("INSERT INTO run_context (run_id, key, value) VALUES (?,?,?) "
                  "ON CONFLICT (run_id, key) "
                  "DO UPDATE SET value = excluded.value",
                  [(run_id, k, json.dumps(v, default=str)) for k, v in context.items()])


def _metrics(c: SQLConnection, state: WriteState, run_id: str,
             metrics: list[Metric]) -> None:
    _points(c, state, run_id, [(m.key, m.value, m.step, m.timestamp) for m in metrics])


def _points(c: SQLConnection, state: WriteState, run_id: str,
            points: list[tuple[str, float, int, float]]) -> None:
    rows: list[tuple[Any, ...]] = []
    latest: dict[str, tuple[Any, ...]] = {}
    for key, value, step, timestamp in points:
        real, exact = encode_float(value)
        rows.append((run_id, key, step, real, exact, timestamp))
        best = latest.get(key)
        if best is None or (step, timestamp) >= (best[2], best[5]):
            latest[key] = (run_id, key, step, real, exact, timestamp)
    c.executemany("INSERT INTO metrics VALUES (?,?,?,?,?,?)", rows)
    c.executemany(
        "INSERT INTO latest_metrics (run_id, key, step, value, exact, timestamp) "
        "VALUES (?,?,?,?,?,?) ON CONFLICT (run_id, key) DO UPDATE "
        "SET step = excluded.step, value = excluded.value, exact = excluded.exact, "
        "timestamp = excluded.timestamp WHERE (excluded.step, excluded.timestamp) >= "
        "(latest_metrics.step, latest_metrics.timestamp)", list(latest.values()))


def _artifact(c: SQLConnection, state: WriteState, run_id: str,
              artifact: Artifact) -> None:
    c.execute("INSERT INTO artifacts VALUES (?,?,?,?,?,?) ON CONFLICT (run_id, name) DO UPDATE "
              "SET sha256 = excluded.sha256, size = excluded.size, kind = excluded.kind, "
              "meta = excluded.meta",
              (run_id, artifact.name, artifact.sha256, artifact.size, artifact.kind,
               json.dumps(dict(artifact.meta), default=str)))


def _heartbeat(c: SQLConnection, state: WriteState, run_id: str, now: float) -> None:
    clock = state.dialect.server_clock
    if clock is not None:
        # hosts' clocks differ; every heartbeat and every reaper reads the server's
        c.execute(f"UPDATE runs SET heartbeat = {clock} WHERE run_id = ? AND "
                  "status = 'RUNNING'", (run_id,))
        return
    c.execute("UPDATE runs SET heartbeat = ? WHERE run_id = ? AND status = 'RUNNING'",
              (now, run_id))


def _end_run(c: SQLConnection, state: WriteState, run_id: str, payload: Any) -> None:
    status, end_time, error = payload
    c.execute("UPDATE runs SET status = ?, end_time = ?, error = ?, heartbeat = ? "
              "WHERE run_id = ?", (status.value, end_time, error, end_time, run_id))


_WRITERS: dict[str, Callable[[SQLConnection, WriteState, str, Any], None]] = {
    "create_run": _create_run, "params": _params, "metrics": _metrics, "points": _points,
    "tags": _tags, "context": _context, "artifact": _artifact, "heartbeat": _heartbeat,
    "end_run": _end_run,
}
