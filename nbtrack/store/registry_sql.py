"""The model registry in SQL: plain functions over a connection.

Writes run inside the caller's transaction, which keeps every other registry
writer out (SQLite's ``BEGIN IMMEDIATE``, a PostgreSQL advisory lock), so the
next version number and an alias's compare-and-set are decided while no other
process can change them: versions have no gaps or duplicates, and of two
processes moving the same alias from the same expected version exactly one
succeeds.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from ..errors import ModelNotFoundError, RegistryConflictError
from ..versions import ModelVersion, RegistryEvent
from .dialect import SQLConnection

__all__ = ["insert_version", "move_alias", "remove_alias", "drop_version", "read_versions",
           "read_aliases", "read_events", "read_models", "insert_requests", "read_requests",
           "REQUEST_COLUMNS", "upsert_labels", "read_labels", "claim_retrain"]

_VERSION_COLUMNS = ("name, version, run_id, cell_id, artifact, digest, format, created, "
                    "created_by, metrics, inputs, signature, description, tags")


def _event(c: SQLConnection, event: RegistryEvent) -> None:
    c.execute("INSERT INTO registry_events (ts, \"user\", host, pid, op, model, version, alias, "
              "old_value, new_value, nbtrack_version) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
              (event.ts, event.user, event.host, event.pid, event.op, event.model,
               event.version, event.alias, event.old_value, event.new_value,
               event.nbtrack_version))


def insert_version(c: SQLConnection, version: ModelVersion,
                   event: RegistryEvent) -> ModelVersion:
    """Give ``version`` the next number of its model, store it and its event."""
    # numbers are never reused: a deleted latest version still counts (its event stays)
    row = c.execute("SELECT max(version) FROM registry_events WHERE model = ? AND "
                    "op = 'register'", (version.name,)).fetchone()
    numbered = replace(version, version=(row[0] or 0) + 1)
    c.execute(f"INSERT INTO model_versions ({_VERSION_COLUMNS}) "
              "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
              (numbered.name, numbered.version, numbered.run_id, numbered.cell_id,
               numbered.artifact, numbered.digest, numbered.format, numbered.created,
               numbered.created_by, json.dumps(dict(numbered.metrics), allow_nan=True),
               json.dumps(dict(numbered.inputs), default=str),
               json.dumps(dict(numbered.signature), default=str), numbered.description,
               json.dumps(dict(numbered.tags))))
    _event(c, replace(event, version=numbered.version))
    return numbered


def _alias_target(c: SQLConnection, name: str, alias: str) -> int | None:
    row = c.execute("SELECT version FROM model_aliases WHERE name = ? AND alias = ?",
                    (name, alias)).fetchone()
    return None if row is None else int(row[0])


def move_alias(c: SQLConnection, name: str, alias: str, version: int,
               expected: int | None, check: bool, event: RegistryEvent) -> int | None:
    """Point ``name@alias`` at ``version``; return where it pointed before.

    With ``check``, the alias must point at ``expected`` now (None: must not exist).
    """
    exists = c.execute("SELECT 1 FROM model_versions WHERE name = ? AND version = ?",
                       (name, version)).fetchone()
    if exists is None:
        raise ModelNotFoundError(f"{name} has no version {version}; see `nbtrack models "
                                 f"{name}` for its versions")
    old = _alias_target(c, name, alias)
    if check and old != expected:
        now = "does not exist" if old is None else f"points at version {old}"
        raise RegistryConflictError(
            f"{name}@{alias} {now}, not {'nothing' if expected is None else expected} as "
            "expected: someone moved it meanwhile; look again and retry")
    c.execute("INSERT INTO model_aliases VALUES (?,?,?) ON CONFLICT (name, alias) "
              "DO UPDATE SET version = excluded.version", (name, alias, version))
    _event(c, replace(event, version=version, old_value=old, new_value=version))
    return old


def remove_alias(c: SQLConnection, name: str, alias: str, event: RegistryEvent) -> int:
    """Delete ``name@alias``; return the version it pointed at."""
    old = _alias_target(c, name, alias)
    if old is None:
        raise ModelNotFoundError(f"{name} has no alias {alias!r}")
    c.execute("DELETE FROM model_aliases WHERE name = ? AND alias = ?", (name, alias))
    _event(c, replace(event, version=old, old_value=old, new_value=None))
    return old


def drop_version(c: SQLConnection, name: str, version: int, force: bool,
                 event: RegistryEvent) -> list[str]:
    """Delete a version; with ``force`` also the aliases pointing at it (each an event).
    Return those aliases."""
    if c.execute("SELECT 1 FROM model_versions WHERE name = ? AND version = ?",
                 (name, version)).fetchone() is None:
        raise ModelNotFoundError(f"{name} has no version {version}")
    holding = [a for (a,) in c.execute("SELECT alias FROM model_aliases WHERE name = ? AND "
                                       "version = ? ORDER BY alias", (name, version))]
    if holding and not force:
        raise RegistryConflictError(
            f"{name}/{version} is {', '.join('@' + a for a in holding)}; move the "
            f"alias{'es' * (len(holding) > 1)} first, or delete with force=True (--force)")
    for alias in holding:
        remove_alias(c, name, alias, replace(event, op="delete_alias", alias=alias))
    c.execute("DELETE FROM model_versions WHERE name = ? AND version = ?", (name, version))
    _event(c, replace(event, op="delete_version", version=version))
    return holding


def _version_from_row(row: Any) -> ModelVersion:
    return ModelVersion(
        name=row[0], version=row[1], run_id=row[2], cell_id=row[3], artifact=row[4],
        digest=row[5], format=row[6], created=row[7], created_by=row[8],
        metrics=json.loads(row[9]), inputs=json.loads(row[10]), signature=json.loads(row[11]),
        description=row[12], tags=json.loads(row[13]))


def read_versions(c: SQLConnection, name: str | None = None, version: int | None = None,
                  run_id: str | None = None) -> list[ModelVersion]:
    """Versions of one model (or of all), oldest first; one when ``version`` is given; only
    those registered from ``run_id`` when it is given."""
    conditions: list[str] = []
    args: list[Any] = []
    if name is not None:
        conditions.append("name = ?")
        args.append(name)
        if version is not None:
            conditions.append("version = ?")
            args.append(version)
    if run_id is not None:
        conditions.append("run_id = ?")
        args.append(run_id)
    sql = f"SELECT {_VERSION_COLUMNS} FROM model_versions"
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    return [_version_from_row(row) for row in c.execute(sql + " ORDER BY name, version", args)]


def read_aliases(c: SQLConnection, name: str | None = None) -> dict[str, dict[str, int]]:
    """Model name → alias → version."""
    sql = "SELECT name, alias, version FROM model_aliases"
    args: tuple[str, ...] = ()
    if name is not None:
        sql, args = sql + " WHERE name = ?", (name,)
    out: dict[str, dict[str, int]] = {}
    for model, alias, version in c.execute(sql + " ORDER BY name, alias", args):
        out.setdefault(model, {})[alias] = int(version)
    return out


def read_events(c: SQLConnection, name: str | None = None) -> list[RegistryEvent]:
    """The registry's history (of one model), oldest first."""
    sql = ("SELECT ts, \"user\", host, pid, op, model, version, alias, old_value, new_value, "
           "nbtrack_version FROM registry_events")
    args: tuple[Any, ...] = ()
    if name is not None:
        sql, args = sql + " WHERE model = ?", (name,)
    return [RegistryEvent(*row) for row in c.execute(sql + " ORDER BY event_id", args)]


def read_models(c: SQLConnection) -> list[tuple[str, int, float, float]]:
    """``(name, latest version, first registered, last registered)`` of every model."""
    return [(row[0], int(row[1]), row[2], row[3]) for row in c.execute(
        "SELECT name, max(version), min(created), max(created) FROM model_versions "
        "GROUP BY name ORDER BY name")]


#: The columns of a logged serving request, in order.
REQUEST_COLUMNS = ("request_id", "ts", "model", "version", "status", "latency", "rows",
                   "inputs", "predictions")


def insert_requests(c: SQLConnection, rows: list[tuple[Any, ...]]) -> None:
    """Append logged serving requests (tuples in :data:`REQUEST_COLUMNS` order)."""
    c.executemany(f"INSERT INTO serving_requests ({', '.join(REQUEST_COLUMNS)}) "
                  "VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (request_id) DO NOTHING", rows)


def read_requests(c: SQLConnection, model: str | None) -> list[dict[str, Any]]:
    """Logged serving requests (of one model), oldest first."""
    sql = f"SELECT {', '.join(REQUEST_COLUMNS)} FROM serving_requests"
    args: tuple[Any, ...] = ()
    if model is not None:
        sql, args = sql + " WHERE model = ?", (model,)
    out = []
    for row in c.execute(sql + " ORDER BY ts", args):
        record = dict(zip(REQUEST_COLUMNS, row, strict=True))
        for key in ("inputs", "predictions"):
            if record[key] is not None:
                record[key] = json.loads(record[key])
        out.append(record)
    return out



def upsert_labels(c: SQLConnection, rows: list[tuple[str, float, str]]) -> None:
    """Store ``(request_id, ts, labels JSON)``; labels sent again for a request replace
    the earlier ones."""
    c.executemany("INSERT INTO serving_labels (request_id, ts, labels) VALUES (?,?,?) "
                  "ON CONFLICT (request_id) DO UPDATE SET ts = excluded.ts, "
                  "labels = excluded.labels", rows)


def read_labels(c: SQLConnection, model: str | None) -> dict[str, list[Any]]:
    """Request id → its labels (of the requests logged for one model, when given)."""
    sql = "SELECT l.request_id, l.labels FROM serving_labels l"
    args: tuple[Any, ...] = ()
    if model is not None:
        sql += " JOIN serving_requests r ON r.request_id = l.request_id WHERE r.model = ?"
        args = (model,)
    return {request_id: json.loads(labels) for request_id, labels in c.execute(sql, args)}


def claim_retrain(c: SQLConnection, event: RegistryEvent, cooldown: float) -> float | None:
    """Record ``event`` (a ``retrain`` of its model) unless one was recorded less than
    ``cooldown`` seconds before it; then return that one's time and record nothing. Inside
    the registry's transaction, so of two processes triggering at once only one starts."""
    row = c.execute("SELECT max(ts) FROM registry_events WHERE model = ? AND op = 'retrain'",
                    (event.model,)).fetchone()
    if row[0] is not None and event.ts - float(row[0]) < cooldown:
        return float(row[0])
    _event(c, event)
    return None
