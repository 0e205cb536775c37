"""Maintenance of the SQL stores: bulk import, dead-run reaping, gc and fsck.

Plain functions over a connection (or, for bulk import, a transaction runner),
kept apart so the backend module holds only its plumbing and read paths.
"""

from __future__ import annotations

import json
import time
from functools import partial
from typing import Any, Callable, Iterable, TypeVar

from ..entities import Artifact, Run
from ..errors import StoreError
from .artifacts import Content, LocalContent
from .object_content import content_at
from .pending import pid_alive
from .codec import encode_float
from .contract import STALE_AFTER
from .dialect import SQLConnection
from .writes import WriteState, experiment_id

__all__ = ["bulk_import", "reap_dead_runs", "collect_garbage", "collect_object_garbage",
           "check_store", "check_content"]

T = TypeVar("T")
#: Runs a function of the connection (in a transaction, or under the connection's lock).
Transaction = Callable[[Callable[[SQLConnection], T]], T]


def bulk_import(transaction: Transaction[Any], state: WriteState, runs: Iterable[Run],
                batch_size: int) -> int:
    """Write finished runs in transactions of ``batch_size`` runs; return how many.

    Each run's metrics are written as one point (step 0) each; this is the
    path for importing or generating many runs at once.
    """
    count = 0
    batch: list[Run] = []

    def write(c: SQLConnection, chunk: list[Run]) -> None:
        c.executemany(
            "INSERT INTO runs (run_id, experiment_id, name, status, start_time, end_time, "
            "cell_id, parent_run_id, host, pid, heartbeat, error) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [(r.run_id, experiment_id(c, state, r.experiment), r.name, r.status.value,
              r.start_time, r.end_time, r.cell_id, r.parent_run_id, r.host, r.pid,
              r.heartbeat or r.start_time, r.error) for r in chunk])
        row = state.dialect.param_row
        c.executemany(state.dialect.params_insert,
                      [row(r.run_id, k, v) for r in chunk for k, v in r.params.items()])
        points = [(r.run_id, k, 0, *encode_float(float(v)), r.end_time or r.start_time)
                  for r in chunk for k, v in r.metrics.items()]
        c.executemany("INSERT INTO metrics VALUES (?,?,?,?,?,?)", points)
        c.executemany("INSERT INTO latest_metrics VALUES (?,?,?,?,?,?)", points)
        c.executemany("INSERT INTO tags VALUES (?,?,?)",
                      [(r.run_id, k, v) for r in chunk for k, v in r.tags.items()])

    for run in runs:
        batch.append(run)
        if len(batch) >= batch_size:
            transaction(partial(write, chunk=batch))
            count += len(batch)
            batch = []
    if batch:
        transaction(lambda c: write(c, batch))
        count += len(batch)
    return count


def reap_dead_runs(c: SQLConnection, host: str, open_here: set[str],
                   now: float | None = None) -> list[str]:
    """Mark RUNNING runs whose process is gone (or silent too long) as KILLED.

    A run of this host is dead when its pid is; a run of any host when its heartbeat
    is older than :data:`STALE_AFTER` by ``now`` (the clock heartbeats were written by).
    """
    now = time.time() if now is None else now
    dead = []
    for run_id, run_host, pid, beat in c.execute(
            "SELECT run_id, host, pid, heartbeat FROM runs WHERE status = 'RUNNING'"):
        if run_id in open_here:
            continue
        if (run_host == host and not pid_alive(pid)) or now - beat > STALE_AFTER:
            dead.append((run_id, beat))
    for run_id, beat in dead:
        c.execute("UPDATE runs SET status = 'KILLED', end_time = ?, error = ? "
                  "WHERE run_id = ? AND status = 'RUNNING'",
                  (beat, "the process running this run ended without closing it", run_id))
    return [d[0] for d in dead]


def collect_garbage(referenced: set[str], content: LocalContent, local: bool, dry_run: bool,
                    min_age: float) -> list[str]:
    """Artifact files no run refers to (older than ``min_age`` seconds), deleted unless dry."""
    now, found = time.time(), []
    for digest, path in content.all_digests().items():
        if digest in referenced:
            continue
        if local and now - path.stat().st_mtime < min_age:
            continue  # may belong to a run another process has not flushed yet
        found.append(digest)
        if not dry_run:
            content.delete(digest)
    for leftover in content.leftovers():
        if now - leftover.stat().st_mtime >= min_age:
            found.append(str(leftover.name))
            if not dry_run:
                leftover.unlink()
    return found


def collect_object_garbage(read: Transaction[Any], configured: str | None, dry_run: bool,
                           min_age: float) -> list[str]:
    """Objects no record refers to at each artifact URL the store has used (and the
    ``configured`` one), written ``min_age`` seconds ago or more; deleted unless dry."""
    referenced: dict[str, set[str]] = {} if configured is None else {configured: set()}
    for digest, meta in read(lambda c: c.execute(
            "SELECT sha256, meta FROM artifacts WHERE meta LIKE '%\"location\"%'").fetchall()):
        location = json.loads(meta).get("location")
        if location is not None:
            referenced.setdefault(str(location), set()).add(digest)
    now, found = time.time(), []
    for location, digests in sorted(referenced.items()):
        content = content_at(location)
        for digest, written in content.stored().items():
            if digest in digests or (written is not None and now - written < min_age):
                continue
            found.append(f"{location}/{digest[:2]}/{digest[2:]}")
            if not dry_run:
                content.delete(digest)
    return found


def check_store(read: Transaction[Any], content_of: Callable[[Artifact], Content]) -> list[str]:
    """SQLite's integrity check and a re-hash of every artifact; the problems found.

    ``read`` runs a query under the connection's lock; hashing happens outside it.
    """
    problems = [f"database: {r}" for (r,) in read(
        lambda c: c.execute("PRAGMA integrity_check").fetchall()) if r != "ok"]
    return problems + check_content(read, content_of)


def check_content(read: Transaction[Any], content_of: Callable[[Artifact], Content]
                  ) -> list[str]:
    """Re-hash the content of every artifact record (wherever it lives); the problems found."""
    problems = []
    rows = read(lambda c: c.execute(
        "SELECT run_id, name, sha256, size, kind, meta FROM artifacts "
        "ORDER BY run_id, name").fetchall())
    for run_id, name, digest, size, kind, meta in rows:
        artifact = Artifact(name, digest, size, kind, json.loads(meta))
        try:
            content_of(artifact).read(name, digest)
        except StoreError as exc:
            problems.append(f"{run_id}: {exc}")
    return problems


