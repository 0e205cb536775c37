"""Copy everything one store holds into another, any backend to any backend.

Runs (params, every metric point, tags, context, environment, artifacts with
their bytes), the model registry (versions, aliases, the whole event log) and
serving logs. Runs are copied in batches, one destination transaction each, so
a copy interrupted at any point leaves only whole runs behind; a run already in
the destination is never copied again, which makes re-running a migration
safe and cheap. Runs still running are left for a later pass. At the end the
two stores are compared table by table (row counts and value checksums over
what the source holds).

Artifact bytes kept inside the source store are written into the destination
(its object-store location when it has one) before the rows that refer to them;
artifacts already on an object store stay where they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from ..entities import Artifact
from ..errors import StoreError
from .base import Store
from .checksums import TableSum, scope_of, store_checksums
from .dialect import SQLConnection
from .sql_backend import SQLBackendBase
from .writes import experiment_id

__all__ = ["Migration", "migrate"]

#: Runs per destination transaction.
BATCH = 100

_RUN_COLUMNS = ("run_id, experiment_id, name, status, start_time, end_time, cell_id, "
                "parent_run_id, host, pid, heartbeat, error, env_hash")
_VERSION_COLUMNS = ("name, version, run_id, cell_id, artifact, digest, format, created, "
                    "created_by, metrics, inputs, signature, description, tags")
_EVENT_COLUMNS = ('ts, "user", host, pid, op, model, version, alias, old_value, new_value, '
                  "nbtrack_version")
_REQUEST_COLUMNS = "request_id, ts, model, version, status, latency, rows, inputs, predictions"


@dataclass
class Migration:
    """What a migration copied and how the copy compares with its source."""

    source: str
    destination: str
    runs_copied: int = 0
    runs_present: int = 0
    runs_running: int = 0
    artifacts_copied: int = 0
    bytes_copied: int = 0
    registry_rows: int = 0
    requests_copied: int = 0
    labels_copied: int = 0
    source_sums: list[TableSum] = field(default_factory=list)
    destination_sums: list[TableSum] = field(default_factory=list)

    @property
    def mismatches(self) -> list[str]:
        """Tables whose rows differ between the source and the destination."""
        theirs = {s.table: s for s in self.destination_sums}
        return [s.table for s in self.source_sums if theirs.get(s.table) != s]

    @property
    def ok(self) -> bool:
        """Whether the destination holds everything the source does, value for value."""
        return not self.mismatches

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (what ``--json`` prints)."""
        return {"source": self.source, "destination": self.destination,
                "runs_copied": self.runs_copied, "runs_present": self.runs_present,
                "runs_running": self.runs_running, "artifacts_copied": self.artifacts_copied,
                "bytes_copied": self.bytes_copied, "registry_rows": self.registry_rows,
                "requests_copied": self.requests_copied,
                "labels_copied": self.labels_copied, "ok": self.ok,
                "tables": {s.table: {"rows": s.rows, "sha256": s.sha256}
                           for s in self.source_sums},
                "mismatches": self.mismatches}

    def __str__(self) -> str:
        running = (f", {self.runs_running} still running, left for later"
                   if self.runs_running else "")
        lines = [f"copied {self.runs_copied} runs ({self.runs_present} already there"
                 f"{running}), "
                 f"{self.artifacts_copied} artifact files ({self.bytes_copied:,} bytes), "
                 f"{self.registry_rows} registry rows, {self.requests_copied} serving requests, "
                 f"{self.labels_copied} labels",
                 f"{self.source} -> {self.destination}"]
        theirs = {s.table: s for s in self.destination_sums}
        for mine in self.source_sums:
            other = theirs.get(mine.table)
            mark = "ok" if other == mine else \
                f"DIFFERS ({other.rows if other else 0} rows in the destination)"
            lines.append(f"  {mine.table:<17} {mine.rows:>9} rows  {mine.sha256[:12]}  {mark}")
        lines.append("verified: identical" if self.ok else
                     "NOT identical: " + ", ".join(self.mismatches))
        return "\n".join(lines)


def _sql(store: Store) -> SQLBackendBase:
    if not isinstance(store.backend, SQLBackendBase):
        raise StoreError(f"cannot migrate {store.uri}: only SQLite and PostgreSQL stores "
                         "can be migrated")
    return store.backend


def migrate(source: Store, destination: Store,
            progress: Callable[[int, int], None] | None = None) -> Migration:
    """Copy everything ``source`` holds into ``destination`` and verify the copy.

    Parameters
    ----------
    source, destination : Store
        Open stores (SQLite or PostgreSQL, either way round); they must differ.
    progress : callable, optional
        Called as ``progress(runs_done, runs_total)`` after each batch.

    Returns
    -------
    Migration
        Counts, and per-table row counts and checksums of both sides;
        ``.ok`` is False when any table differs.
    """
    if source.uri == destination.uri:
        raise StoreError(f"the source and the destination are the same store ({source.uri})")
    src, dst = _sql(source), _sql(destination)
    source.flush()
    destination.flush()
    report = Migration(source.uri, destination.uri)
    running = set(src.read(lambda c: [r for (r,) in c.execute(
        "SELECT run_id FROM runs WHERE status = 'RUNNING'")]))
    wanted = sorted(scope_of(src).run_ids - running)
    present = set(dst.read(lambda c: [r for (r,) in c.execute(
        "SELECT run_id FROM runs" + dst.dialect.ids_scope, (dst.dialect.ids_arg(wanted),))]))
    todo = [r for r in wanted if r not in present]
    report.runs_present, report.runs_running = len(present), len(running)
    done = len(present)
    for start in range(0, len(todo), BATCH):
        batch = todo[start:start + BATCH]
        _copy_runs(src, dst, batch, report)
        done += len(batch)
        if progress is not None:
            progress(done, len(wanted))
    if progress is not None and not todo:
        progress(done, len(wanted))
    _copy_registry(src, dst, report)
    _copy_requests(src, dst, report)
    scope = scope_of(src)
    scope = type(scope)(scope.run_ids - running, scope.models, scope.request_ids)
    report.source_sums = store_checksums(src, scope)
    report.destination_sums = store_checksums(dst, scope)
    return report


def _copy_runs(src: SQLBackendBase, dst: SQLBackendBase, run_ids: list[str],
               report: Migration) -> None:
    ids, scope = src.dialect.ids_arg(run_ids), src.dialect.ids_scope

    def read(c: SQLConnection) -> dict[str, list[Any]]:
        def rows(sql: str) -> list[Any]:
            return [tuple(r) for r in c.execute(sql + scope, (ids,))]
        return {
            "runs": rows("SELECT run_id, (SELECT name FROM experiments e WHERE "
                         "e.experiment_id = runs.experiment_id), name, status, start_time, "
                         "end_time, cell_id, parent_run_id, host, pid, heartbeat, error, "
                         "env_hash FROM runs"),
            "params": rows("SELECT run_id, key, value, vtype, text FROM params"),
            # in the order they were written (it decides the latest point of a step)
            "metrics": [tuple(r) for r in c.execute(
                "SELECT run_id, key, step, value, exact, timestamp FROM metrics" + scope
                + " ORDER BY rowid", (ids,))],
            "latest": rows("SELECT run_id, key, step, value, exact, timestamp "
                           "FROM latest_metrics"),
            "tags": rows("SELECT run_id, key, value FROM tags"),
            "context": rows("SELECT run_id, key, value FROM run_context"),
            "artifacts": rows("SELECT run_id, name, sha256, size, kind, meta FROM artifacts"),
            "environments": [tuple(r) for r in c.execute(
                "SELECT env_hash, body FROM environments WHERE env_hash IN "
                "(SELECT env_hash FROM runs" + scope + ")", (ids,))],
        }

    rows = src.read(read)
    artifacts = [_copy_content(src, dst, row, report) for row in rows["artifacts"]]
    params = [dst.dialect.param_row(r[0], r[1], src.dialect.param_value(*r[2:]))
              for r in rows["params"]]

    def write(c: SQLConnection) -> None:
        c.executemany("INSERT INTO environments VALUES (?, ?) ON CONFLICT (env_hash) "
                      "DO NOTHING", rows["environments"])
        c.executemany(f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES "
                      "(?,?,?,?,?,?,?,?,?,?,?,?,?)",
                      [(r[0], experiment_id(c, dst.write_state, r[1]), *r[2:])
                       for r in rows["runs"]])
        c.executemany(dst.dialect.params_insert, params)
        c.executemany("INSERT INTO metrics (run_id, key, step, value, exact, timestamp) "
                      "VALUES (?,?,?,?,?,?)", rows["metrics"])
        c.executemany("INSERT INTO latest_metrics VALUES (?,?,?,?,?,?)", rows["latest"])
        c.executemany("INSERT INTO tags VALUES (?,?,?)", rows["tags"])
        c.executemany("INSERT INTO run_context VALUES (?,?,?)", rows["context"])
        c.executemany("INSERT INTO artifacts VALUES (?,?,?,?,?,?)", artifacts)

    dst.write_once(write)
    report.runs_copied += len(run_ids)


def _copy_content(src: SQLBackendBase, dst: SQLBackendBase, row: tuple[Any, ...],
                  report: Migration) -> tuple[Any, ...]:
    run_id, name, digest, size, kind, meta_text = row
    meta = json.loads(meta_text)
    if "location" in meta:
        return row  # on an object store both sides reach; the bytes stay there
    artifact = Artifact(name, digest, size, kind, meta)
    data = src.content_of(artifact).read(name, digest)
    stored = dst.put_content(artifact, data, None)
    if stored.sha256 != digest:  # pragma: no cover - put_content re-hashes what it read
        raise StoreError(f"artifact {name!r} of run {run_id} changed while being copied")
    report.artifacts_copied += 1
    report.bytes_copied += len(data)
    return (run_id, name, digest, size, kind, json.dumps(dict(stored.meta), sort_keys=True))


def _copy_registry(src: SQLBackendBase, dst: SQLBackendBase, report: Migration) -> None:
    def read(c: SQLConnection) -> tuple[list[Any], list[Any], list[Any]]:
        return ([tuple(r) for r in c.execute(f"SELECT {_VERSION_COLUMNS} FROM model_versions")],
                [tuple(r) for r in c.execute("SELECT name, alias, version FROM model_aliases")],
                [tuple(r) for r in c.execute(
                    f"SELECT {_EVENT_COLUMNS} FROM registry_events ORDER BY event_id")])

    versions, aliases, events = src.read(read)
    if not (versions or aliases or events):
        return
    known = set(dst.read(lambda c: [tuple(r) for r in c.execute(
        f"SELECT {_EVENT_COLUMNS} FROM registry_events")]))
    new_events = [e for e in events if e not in known]

    def write(c: SQLConnection) -> None:
        before = _count(c, "model_versions") + _count(c, "model_aliases")
        c.executemany(f"INSERT INTO model_versions ({_VERSION_COLUMNS}) VALUES "
                      "(?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (name, version) DO NOTHING",
                      versions)
        c.executemany("INSERT INTO model_aliases VALUES (?,?,?) ON CONFLICT (name, alias) "
                      "DO UPDATE SET version = excluded.version", aliases)
        c.executemany(f"INSERT INTO registry_events ({_EVENT_COLUMNS}) VALUES "
                      "(?,?,?,?,?,?,?,?,?,?,?)", new_events)
        report.registry_rows += (_count(c, "model_versions") + _count(c, "model_aliases")
                                 - before + len(new_events))

    dst.write_once(write)


def _copy_requests(src: SQLBackendBase, dst: SQLBackendBase, report: Migration) -> None:
    rows = src.read(lambda c: [tuple(r) for r in c.execute(
        f"SELECT {_REQUEST_COLUMNS} FROM serving_requests")])
    if not rows:
        return

    def write(c: SQLConnection) -> None:
        before = _count(c, "serving_requests")
        c.executemany(f"INSERT INTO serving_requests ({_REQUEST_COLUMNS}) VALUES "
                      "(?,?,?,?,?,?,?,?,?) ON CONFLICT (request_id) DO NOTHING", rows)
        report.requests_copied += _count(c, "serving_requests") - before

    dst.write_once(write)
    _copy_labels(src, dst, report)


def _copy_labels(src: SQLBackendBase, dst: SQLBackendBase, report: Migration) -> None:
    rows = src.read(lambda c: [tuple(r) for r in c.execute(
        "SELECT request_id, ts, labels FROM serving_labels")])
    if not rows:
        return

    def write(c: SQLConnection) -> None:
        before = _count(c, "serving_labels")
        c.executemany("INSERT INTO serving_labels (request_id, ts, labels) VALUES (?,?,?) "
                      "ON CONFLICT (request_id) DO NOTHING", rows)
        report.labels_copied += _count(c, "serving_labels") - before

    dst.write_once(write)


def _count(c: SQLConnection, table: str) -> int:
    return int(c.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
