"""How each buffered operation is written to SQLite (a mixin of the SQLite store)."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from typing import Any

from ..entities import Artifact, Metric
from .codec import encode_float, encode_param

__all__ = ["SQLiteWrites"]


class SQLiteWrites:
    """``_op_<kind>`` writes one buffered :class:`~nbtrack.store.base.Op` of that kind."""

    _experiment_ids: dict[str, int]
    _host: str

    def _experiment_id(self, c: sqlite3.Connection, name: str) -> int:
        cached = self._experiment_ids.get(name)
        if cached is not None:
            return cached
        c.execute("INSERT OR IGNORE INTO experiments (name, created) VALUES (?, ?)",
                  (name, time.time()))
        exp_id = c.execute("SELECT experiment_id FROM experiments WHERE name = ?",
                           (name,)).fetchone()[0]
        self._experiment_ids[name] = exp_id
        return exp_id

    def _op_create_run(self, c: sqlite3.Connection, run_id: str, payload: Any) -> None:
        run, context, environment = payload
        env_hash = None
        if environment:
            body = json.dumps(environment, sort_keys=True, default=str)
            env_hash = hashlib.sha256(body.encode()).hexdigest()[:32]
            c.execute("INSERT OR IGNORE INTO environments VALUES (?, ?)", (env_hash, body))
        c.execute(
            "INSERT INTO runs (run_id, experiment_id, name, status, start_time, end_time, "
            "cell_id, parent_run_id, host, pid, heartbeat, error, env_hash) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (run.run_id, self._experiment_id(c, run.experiment), run.name, run.status.value,
             run.start_time, run.end_time, run.cell_id, run.parent_run_id, run.host or self._host,
             run.pid or os.getpid(), run.heartbeat or run.start_time, run.error, env_hash))
        if run.params:
            self._op_params(c, run_id, list(run.params.items()))
        if run.tags:
            self._op_tags(c, run_id, list(run.tags.items()))
        if context:
            self._op_context(c, run_id, context)

    def _op_params(self, c: sqlite3.Connection, run_id: str, params: list[tuple[str, Any]]) -> None:
        c.executemany("INSERT OR REPLACE INTO params VALUES (?,?,?,?,?)",
                      [(run_id, k, *encode_param(v)) for k, v in params])

    def _op_tags(self, c: sqlite3.Connection, run_id: str, tags: list[tuple[str, str]]) -> None:
        c.executemany("INSERT OR REPLACE INTO tags VALUES (?,?,?)",
                      [(run_id, k, v) for k, v in tags])

    def _op_context(self, c: sqlite3.Connection, run_id: str, context: dict[str, Any]) -> None:
        c.executemany("INSERT OR REPLACE INTO run_context VALUES (?,?,?)",
                      [(run_id, k, json.dumps(v, default=str)) for k, v in context.items()])

    def _op_metrics(self, c: sqlite3.Connection, run_id: str, metrics: list[Metric]) -> None:
        self._op_points(c, run_id, [(m.key, m.value, m.step, m.timestamp) for m in metrics])

    def _op_points(self, c: sqlite3.Connection, run_id: str,
                   points: list[tuple[str, float, int, float]]) -> None:
        rows, latest = [], {}
        for key, value, step, timestamp in points:
            real, exact = encode_float(value)
            rows.append((run_id, key, step, real, exact, timestamp))
            best = latest.get(key)
            if best is None or (step, timestamp) >= (best[2], best[5]):
                latest[key] = (run_id, key, step, real, exact, timestamp)
        c.executemany("INSERT INTO metrics VALUES (?,?,?,?,?,?)", rows)
        c.executemany(
            "INSERT INTO latest_metrics VALUES (?,?,?,?,?,?) ON CONFLICT (run_id, key) DO UPDATE "
            "SET step = excluded.step, value = excluded.value, exact = excluded.exact, "
            "timestamp = excluded.timestamp WHERE (excluded.step, excluded.timestamp) >= "
            "(latest_metrics.step, latest_metrics.timestamp)", list(latest.values()))

    def _op_artifact(self, c: sqlite3.Connection, run_id: str, artifact: Artifact) -> None:
        c.execute("INSERT OR REPLACE INTO artifacts VALUES (?,?,?,?,?,?)",
                  (run_id, artifact.name, artifact.sha256, artifact.size, artifact.kind,
                   json.dumps(dict(artifact.meta), default=str)))

    def _op_heartbeat(self, c: sqlite3.Connection, run_id: str, now: float) -> None:
        c.execute("UPDATE runs SET heartbeat = ? WHERE run_id = ? AND status = 'RUNNING'",
                  (now, run_id))

    def _op_end_run(self, c: sqlite3.Connection, run_id: str, payload: Any) -> None:
        status, end_time, error = payload
        c.execute("UPDATE runs SET status = ?, end_time = ?, error = ?, heartbeat = ? "
                  "WHERE run_id = ?", (status.value, end_time, error, end_time, run_id))

