"""Counts and value checksums of what a store holds, comparable across backends.

Each table is read as logical rows (experiment names instead of ids, params and
metric values decoded, JSON re-serialised canonically, no backend-only columns),
so a SQLite store and a PostgreSQL store holding the same runs give the same
checksums. Migration uses them to prove that a copy is whole.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from .codec import decode_float
from .dialect import SQLConnection
from .sql_backend import SQLBackendBase

__all__ = ["TableSum", "Scope", "store_checksums", "scope_of"]


@dataclass(frozen=True)
class TableSum:
    """One table's row count and sha256 over its sorted logical rows."""

    table: str
    rows: int
    sha256: str


@dataclass(frozen=True)
class Scope:
    """Which rows a checksum covers: these runs, models and serving requests."""

    run_ids: frozenset[str]
    models: frozenset[str]
    request_ids: frozenset[str]


def _canonical_json(text: str | None) -> str | None:
    if text is None:
        return None
    return json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False)


def _artifact_meta(text: str) -> str | None:
    # where the bytes live is not part of the value: the sha256 is
    meta = {k: v for k, v in json.loads(text).items() if k != "location"}
    return json.dumps(meta, sort_keys=True, ensure_ascii=False)


def _point(r: tuple[Any, ...]) -> tuple[Any, ...]:
    return (r[0], r[1], r[2], repr(decode_float(r[3], r[4])), r[5])


def _rows(backend: SQLBackendBase, scope: Scope) -> dict[str, list[tuple[Any, ...]]]:
    dialect = backend.dialect
    ids = dialect.ids_arg(sorted(scope.run_ids))
    where = dialect.ids_scope

    def by_run(c: SQLConnection, sql: str,
               shape: Callable[[tuple[Any, ...]], tuple[Any, ...]] = tuple) -> list[Any]:
        return [shape(tuple(r)) for r in c.execute(sql + where, (ids,))]

    def read(c: SQLConnection) -> dict[str, list[tuple[Any, ...]]]:
        tables = {
            "runs": by_run(c, "SELECT run_id, (SELECT name FROM experiments e WHERE "
                           "e.experiment_id = runs.experiment_id), name, status, start_time, "
                           "end_time, cell_id, parent_run_id, host, pid, heartbeat, error, "
                           "env_hash FROM runs"),
            "params": by_run(c, "SELECT run_id, key, value, vtype, text FROM params",
                             lambda r: (r[0], r[1], repr(dialect.param_value(*r[2:])))),
            "metrics": by_run(c, "SELECT run_id, key, step, value, exact, timestamp "
                              "FROM metrics", _point),
            "latest_metrics": by_run(c, "SELECT run_id, key, step, value, exact, timestamp "
                                     "FROM latest_metrics", _point),
            "tags": by_run(c, "SELECT run_id, key, value FROM tags"),
            "artifacts": by_run(c, "SELECT run_id, name, sha256, size, kind, meta "
                                "FROM artifacts", lambda r: (*r[:5], _artifact_meta(r[5]))),
            "run_context": by_run(c, "SELECT run_id, key, value FROM run_context"),
        }
        hashes = sorted({r[-1] for r in tables["runs"] if r[-1] is not None})
        tables["environments"] = [
            (h, _canonical_json(body)) for h, body in c.execute(
                "SELECT env_hash, body FROM environments") if h in set(hashes)]
        models = set(scope.models)
        tables["model_versions"] = [
            (*r[:9], *(_canonical_json(v) for v in r[9:12]), r[12], _canonical_json(r[13]))
            for r in c.execute(
                "SELECT name, version, run_id, cell_id, artifact, digest, format, created, "
                "created_by, metrics, inputs, signature, description, tags "
                "FROM model_versions") if r[0] in models]
        tables["model_aliases"] = [tuple(r) for r in c.execute(
            "SELECT name, alias, version FROM model_aliases") if r[0] in models]
        # the order of the event log is part of its value
        tables["registry_events"] = [
            (i, *r) for i, r in enumerate(r for r in c.execute(
                'SELECT ts, "user", host, pid, op, model, version, alias, '
                'old_value, new_value, nbtrack_version FROM registry_events '
                'ORDER BY event_id') if r[5] in models)]
        requests = set(scope.request_ids)
        tables["serving_requests"] = [tuple(r) for r in c.execute(
            "SELECT request_id, ts, model, version, status, latency, rows, inputs, predictions "
            "FROM serving_requests") if r[0] in requests]
        tables["serving_labels"] = [
            (r[0], r[1], _canonical_json(r[2])) for r in c.execute(
                "SELECT request_id, ts, labels FROM serving_labels") if r[0] in requests]
        return tables

    return backend.read(read)


def scope_of(backend: SQLBackendBase) -> Scope:
    """Everything ``backend`` holds, as a :class:`Scope`."""
    def read(c: SQLConnection) -> Scope:
        return Scope(frozenset(r for (r,) in c.execute("SELECT run_id FROM runs")),
                     frozenset(m for (m,) in c.execute(
                         "SELECT DISTINCT name FROM model_versions")),
                     frozenset(r for (r,) in c.execute(
                         "SELECT request_id FROM serving_requests UNION "
                         "SELECT request_id FROM serving_labels")))
    return backend.read(read)


def _digest(rows: Iterable[tuple[Any, ...]]) -> str:
    hasher = hashlib.sha256()
    for row in rows:
        hasher.update(json.dumps(row, ensure_ascii=False, default=repr).encode())
        hasher.update(b"\n")
    return hasher.hexdigest()


def store_checksums(backend: SQLBackendBase, scope: Scope | None = None) -> list[TableSum]:
    """Row counts and checksums of every table of ``backend`` (within ``scope``,
    default: everything it holds), in a fixed table order."""
    tables = _rows(backend, scope or scope_of(backend))
    return [TableSum(name, len(rows), _digest(sorted(rows, key=_sort_key)))
            for name, rows in tables.items()]


def _sort_key(row: tuple[Any, ...]) -> str:
    return json.dumps(row, ensure_ascii=False, default=repr)
