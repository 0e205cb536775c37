"""The embedded store: SQLite in WAL mode plus content-addressed artifact files.

Many kernels and processes on one machine may write to one store at once:
every write is one short ``BEGIN IMMEDIATE`` transaction, waits on a busy
timeout and is retried with jitter, so "database is locked" never reaches the
user.
"""

from __future__ import annotations

import os
import random
import socket
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence, TypeVar

from ..entities import Run
from ..errors import StoreError
from ..filters import Node, OrderKey
from .artifacts import LocalContent, MemoryContent
from .base import Store
from .codec import decode_param, param_text
from .contract import Op, RunTable
from .dialect import SQLITE, SQLConnection
from .maintenance import (bulk_import, check_store, collect_garbage, collect_object_garbage,
                          reap_dead_runs)
from .reads import RUN_COLUMNS, read_table
from .registry_backend import SQLRegistry
from .schema import DB_NAME, LATEST_VERSION, MIGRATIONS, apply_migrations
from .sql_backend import SQLBackendBase
from .writes import WriteState, write_ops

__all__ = ["SQLiteBackend", "open_sqlite"]

T = TypeVar("T")
_BUSY_TIMEOUT_MS = 30_000
_RETRY_FOR = 120.0
_AUTOCHECKPOINT_PAGES = 20_000
_CHECKPOINT_EVERY = 50


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _stored_param_text(value: Any, vtype: int, text: str | None) -> str:
    """The text MLflow would hold for a param already in the store (see schema v3)."""
    return param_text(decode_param(value, vtype, text))


def open_sqlite(folder: str | os.PathLike[str] | None) -> Store:
    """The store in ``folder`` (created if missing), or in memory for None."""
    backend = SQLiteBackend(folder)
    return Store(backend, backend.folder)


class SQLiteBackend(SQLBackendBase):
    """Runs in a folder (``nbtrack.db`` + ``artifacts/``), or in memory.

    Parameters
    ----------
    folder : str or Path or None
        The store folder (created if missing); None keeps everything in memory.
    """

    def __init__(self, folder: str | os.PathLike[str] | None) -> None:
        self.folder = None if folder is None else Path(folder)
        if self.folder is None:
            self.uri = "memory:"
            self.content: LocalContent = MemoryContent()
            path = ":memory:"
        else:
            self.uri = f"sqlite://{self.folder.resolve()}"
            try:
                self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the store folder {self.folder}: {exc.strerror}; "
                    "set NBTRACK_STORE to a writable folder") from None
            self.content = LocalContent(self.folder / "artifacts")
            path = str(self.folder / DB_NAME)
        self._db_lock = threading.RLock()
        self._retry_for = _RETRY_FOR
        self.host = socket.gethostname()
        self.dialect = SQLITE
        self.write_state = WriteState(self.host)
        self._commits = 0
        self._checkpointed = 0
        self._checkpoint_conn: sqlite3.Connection | None = None
        self._checkpoint_lock = threading.Lock()
        self._closed = False
        self._search_cache: tuple[Any, Any, RunTable] | None = None
        try:
            self._conn = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_MS / 1000,
                                         isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}; check the path "
                             "and its permissions") from None
        self._retrying(self._configure)
        self._retrying(self._migrate)
        self.registry = SQLRegistry(self)

    # ------------------------------------------------------------ plumbing
    def _configure(self) -> None:
        c = self._conn
        c.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        if self.folder is not None:
            c.execute("PRAGMA journal_mode = WAL")
            c.execute("PRAGMA synchronous = NORMAL")
            # checkpoints fsync; the background thread runs them (see _idle) so that a
            # run's commit does not pay for one; this limit is only a safety net
            c.execute(f"PRAGMA wal_autocheckpoint = {_AUTOCHECKPOINT_PAGES}")
            c.execute("PRAGMA journal_size_limit = 16777216")
        c.execute("PRAGMA case_sensitive_like = ON")
        c.create_function("param_text", 3, _stored_param_text, deterministic=True)
        c.execute("PRAGMA temp_store = MEMORY")
        c.execute("PRAGMA cache_size = -32000")

    def _retrying(self, fn: Callable[[], T]) -> T:
        deadline = time.monotonic() + self._retry_for
        delay = 0.005
        while True:
            try:
                with self._db_lock:
                    return fn()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise StoreError(f"store {self.uri} failed: {exc}; run `nbtrack fsck` "
                                     "to check it") from None
                if time.monotonic() > deadline:
                    raise StoreError(f"store {self.uri} stayed locked for {self._retry_for:.0f} s "
                                     f"({exc}); another process holds it, try again") from None
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.5)

    def transaction(self, body: Callable[[sqlite3.Connection], T]) -> T:
        """``body(connection)`` in one ``BEGIN IMMEDIATE`` transaction, retried while busy."""
        def run() -> T:
            c = self._conn
            c.execute("BEGIN IMMEDIATE")
            try:
                result = body(c)
                c.execute("COMMIT")
            except BaseException:
                if c.in_transaction:
                    c.execute("ROLLBACK")
                raise
            self._commits += 1
            return result

        return self._retrying(run)

    def _migrate(self) -> None:
        c = self._conn
        row = None
        try:
            row = c.execute("SELECT version FROM nbtrack_schema").fetchone()
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise
        if row is not None and row[0] == LATEST_VERSION:
            return
        self.transaction(lambda c: apply_migrations(c, MIGRATIONS))

    def bound_waits(self, seconds: float) -> None:
        """Wait at most ``seconds`` for a lock held by another process from now on."""
        self._retry_for = seconds
        try:
            with self._db_lock:
                self._conn.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
        except sqlite3.Error:
            pass

    def idle(self) -> None:
        """Checkpoint the write-ahead log now and then, off the writers' path."""
        if self.folder is None or self._commits - self._checkpointed < _CHECKPOINT_EVERY:
            return
        self._checkpointed = self._commits
        with self._checkpoint_lock:
            if self._closed:
                return
            # a connection of its own, so the checkpoint's fsync never holds up a commit
            if self._checkpoint_conn is None:
                self._checkpoint_conn = sqlite3.connect(str(self.folder / DB_NAME),
                                                        isolation_level=None,
                                                        check_same_thread=False)
            try:
                self._checkpoint_conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error:
                pass  # another process is checkpointing; the next tick tries again

    def close(self) -> None:
        """Close the connections."""
        with self._db_lock, self._checkpoint_lock:
            self._closed = True
            self._conn.close()
            if self._checkpoint_conn is not None:
                self._checkpoint_conn.close()

    def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn(connection)`` under the connection's lock, retried while busy."""
        return self._retrying(lambda: fn(self._conn))

    # -------------------------------------------------------------- writes
    def apply(self, ops: Sequence[Op]) -> None:
        """Write buffered operations in one transaction."""
        try:
            self.transaction(lambda c: write_ops(c, self.write_state, ops))
        except BaseException as exc:
            # a rolled-back transaction may have written an experiment or environment
            # this connection remembers
            self.write_state.forget()
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"could not write to {self.uri}: {exc}") from None
            raise

    # --------------------------------------------------------------- reads
    def search(self, where: Node | None, order_by: Sequence[OrderKey],
               experiment: str | None, limit: int | None, offset: int) -> RunTable:
        """Return the matching runs as columns (see :class:`RunTable`)."""
        sql, args = self._query(where, order_by, experiment, limit, offset, RUN_COLUMNS)
        whole = where is None and experiment is None and limit is None and not offset

        def run(c: sqlite3.Connection) -> RunTable:
            # notebooks and widgets list the same runs again and again: reuse the last
            # answer while neither this process nor any other has committed since
            version = (c.execute("PRAGMA data_version").fetchone()[0], self._commits)
            key = (sql, tuple(args))
            cached = self._search_cache
            if cached is not None and cached[0] == key and cached[1] == version:
                return cached[2].copy()
            table = read_table(c, c.execute(sql, args).fetchall(), whole)
            self._search_cache = (key, version, table)
            return table.copy()

        return self.read(run)

    # --------------------------------------------------------- housekeeping
    def reap_dead_runs(self, open_here: set[str]) -> list[str]:
        """Mark RUNNING runs whose process is gone (or silent too long) as KILLED."""
        return self.transaction(lambda c: reap_dead_runs(c, self.host, open_here))

    def write_once(self, body: Callable[[SQLConnection], None]) -> None:
        """``body(connection)`` in one transaction (retried only while the file is busy)."""
        try:
            self.transaction(body)
        except BaseException as exc:
            self.write_state.forget()
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"could not write to {self.uri}: {exc}") from None
            raise

    def bulk_import(self, runs: Iterable[Run], batch_size: int) -> int:
        """Write finished runs in large transactions (no buffer)."""
        count = bulk_import(self.transaction, self.write_state, runs, batch_size)
        self._retrying(lambda: self._conn.execute("PRAGMA optimize"))
        return count

    def gc(self, dry_run: bool, min_age: float) -> list[str]:
        """Artifact files no run refers to (older than ``min_age`` seconds), deleted unless dry."""
        referenced = set(self.read(lambda c: [h for (h,) in c.execute(
            "SELECT DISTINCT sha256 FROM artifacts")]))
        return collect_garbage(referenced, self.content, self.folder is not None, dry_run,
                               min_age) + collect_object_garbage(
            self.read, self.artifact_location, dry_run, min_age)

    def fsck(self) -> list[str]:
        """Run SQLite's integrity check and re-hash every artifact; return problems."""
        return check_store(self.read, self.content_of)
