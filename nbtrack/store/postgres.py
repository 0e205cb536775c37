"""The team store: runs, the registry and artifact bytes in a PostgreSQL database.

``open_store("postgresql://user@host:5432/db")`` (any libpq URI; a password is
better kept in ``~/.pgpass`` or ``PGPASSWORD`` than in the URI). Reads, writes,
filters and the registry are the SQL the embedded store runs too
(:mod:`nbtrack.store.sql_backend`, :mod:`nbtrack.store.dialect`); this module
holds what a server adds:

- a small connection pool (:data:`POOL_SIZE`): a kernel has its flush thread
  and the cell being run, and rarely more;
- transient errors (dropped connections, serialisation failures, deadlocks)
  retried with backoff for up to :data:`RETRY_FOR` seconds, without writing
  twice: each write batch records its id in the same transaction, so a batch
  whose commit succeeded but whose answer was lost is skipped when retried,
  and registry changes, which cannot be replayed blindly, are reported
  instead of retried when the connection broke during their commit;
- liveness by heartbeats stamped with the server's clock, so that a process
  on any host can tell a dead run from a live one whatever its own clock says.
"""

from __future__ import annotations

import random
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
import psycopg.errors
from psycopg_pool import ConnectionPool

from ..entities import Run
from ..errors import StoreError
from ..filters import Node, OrderKey
from .base import Store
from .contract import Op, RunTable
from .dialect import SQLConnection
from .maintenance import bulk_import, check_content, collect_object_garbage, reap_dead_runs
from .pg_content import DatabaseContent
from .pg_schema import PG_MIGRATIONS, PG_LATEST_VERSION
from .pg_sql import PAGE_COLUMNS, POSTGRES, PgConnection, page_sql
from .reads import RUN_COLUMNS, read_page, read_table
from .registry_backend import SQLRegistry
from .schema import apply_migrations
from .sql import build_query
from .sql_backend import SQLBackendBase
from .writes import WriteState, write_ops

__all__ = ["PostgresBackend", "open_postgres", "POOL_SIZE", "RETRY_FOR"]

T = TypeVar("T")
#: Connections a process keeps open at most (one at least, once used).
POOL_SIZE = 4
#: How long transient errors are retried before the caller is told (seconds).
RETRY_FOR = 60.0
_CONNECT_TIMEOUT = 10
# advisory lock keys: one migrator at a time, one registry writer at a time
_MIGRATION_LOCK = 0x6E62_7472_0000_0001
_REGISTRY_LOCK = 0x6E62_7472_0000_0002
# retried batches arrive within RETRY_FOR; their ids are kept much longer than that
_BATCHES_KEPT = 86_400.0
_PRUNE_EVERY = 600.0


def open_postgres(uri: str) -> Store:
    """The store in the PostgreSQL database at ``uri`` (its schema created if missing)."""
    return Store(PostgresBackend(uri), None)


def _redacted(uri: str) -> str:
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _reason(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _roll_back(conn: psycopg.Connection[Any]) -> None:
    """End a failed explicit transaction, if the connection still has one."""
    if conn.closed or conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
        return
    try:
        conn.execute("ROLLBACK")
    except psycopg.Error:
        pass  # a broken connection: the pool discards it, and the server rolls back


def _transient(exc: psycopg.Error) -> bool:
    """Worth retrying: the connection failed, or the server asked for a retry."""
    return isinstance(exc, psycopg.OperationalError) and \
        not isinstance(exc, psycopg.errors.QueryCanceled)


class PostgresBackend(SQLBackendBase):
    """Runs in a PostgreSQL database (see the module docstring).

    Parameters
    ----------
    uri : str
        A libpq connection URI, ``postgresql://user@host:port/dbname``.

    Raises
    ------
    StoreError
        When the server cannot be reached or the schema cannot be created.
    """

    content: DatabaseContent

    def __init__(self, uri: str) -> None:
        # uri is shown (messages, the Lab's API), so a password in it is masked there
        self._conninfo = uri
        self.uri = self._shown = _redacted(uri)
        self.host = socket.gethostname()
        self.dialect = POSTGRES
        self.write_state = WriteState(self.host, POSTGRES)
        self._write_lock = threading.Lock()
        self._retry_for = RETRY_FOR
        self._pruned = time.monotonic()
        self._migrate()
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            self._conninfo, min_size=1, max_size=POOL_SIZE, num_workers=1, open=False,
            name="nbtrack", max_idle=300.0,
            kwargs={"autocommit": True, "connect_timeout": _CONNECT_TIMEOUT,
                    "application_name": "nbtrack"})
        self._pool.open(wait=False)
        self.content = DatabaseContent(self.transaction, self.read)
        self.registry = SQLRegistry(_RegistryConnection(self))

    # ------------------------------------------------------------ plumbing
    def _migrate(self) -> None:
        try:
            conn = psycopg.connect(self._conninfo, autocommit=True,
                                   connect_timeout=_CONNECT_TIMEOUT, application_name="nbtrack")
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to {self._shown}: {_reason(exc)}; check the "
                             "URI and that the server accepts this user") from None
        with conn:
            c = PgConnection(conn)
            try:
                row = c.execute("SELECT version FROM nbtrack_schema").fetchone()
            except psycopg.errors.UndefinedTable:
                row = None
            if row is not None and row[0] == PG_LATEST_VERSION:
                return
            try:
                with conn.transaction():
                    c.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
                    apply_migrations(c, PG_MIGRATIONS)
            except psycopg.Error as exc:
                raise StoreError(f"cannot create the nbtrack tables in {self._shown}: "
                                 f"{_reason(exc)}; the user needs CREATE on the database's "
                                 "public schema") from None

    def _retrying(self, fn: Callable[[psycopg.Connection[Any]], T]) -> T:
        deadline = time.monotonic() + self._retry_for
        delay = 0.02
        while True:
            try:
                with self._pool.connection(timeout=min(10.0, self._retry_for)) as conn:
                    return fn(conn)
            except psycopg.Error as exc:
                if not _transient(exc):
                    raise StoreError(f"store {self._shown} failed: {_reason(exc)}") from None
                if time.monotonic() > deadline:
                    raise StoreError(f"store {self._shown} failed for {self._retry_for:.0f} s "
                                     f"({_reason(exc)}); check the server, then try "
                                     "again") from None
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 2.0)

    def transaction(self, body: Callable[[SQLConnection], T], lock: int | None = None,
                    idempotent: bool = True) -> T:
        """``body(connection)`` in one transaction, retried on transient errors.

        Parameters
        ----------
        body : callable
            The work; it runs again from the start on a retry.
        lock : int, optional
            An advisory lock held for the transaction (keeps other such writers out).
        idempotent : bool
            False when running ``body`` twice would write twice: a connection lost
            while committing is then an error saying so, not a retry.
        """
        def attempt(conn: psycopg.Connection[Any]) -> T:
            committing = False
            try:
                with conn.transaction():
                    c = PgConnection(conn)
                    if lock is not None:
                        c.execute("SELECT pg_advisory_xact_lock(?)", (lock,))
                    result = body(c)
                    committing = True
            except psycopg.OperationalError as exc:
                if committing and not idempotent:
                    raise StoreError(f"the connection to {self._shown} broke while "
                                     f"committing ({_reason(exc)}); the change may have been "
                                     "saved: look before repeating it") from None
                raise
            return result

        return self._retrying(attempt)

    def _batch_transaction(self, batch: str, body: Callable[[SQLConnection], None]) -> None:
        """``body(connection)`` in one transaction that records ``batch``, sent as one
        pipeline (``BEGIN``, the id, ``body``'s statements, ``COMMIT``): one round trip
        unless ``body`` reads a result. Retried on transient errors; an id recorded
        already means an earlier attempt committed and only its answer was lost, so
        nothing is written again."""
        def attempt(conn: psycopg.Connection[Any]) -> None:
            c = PgConnection(conn)
            try:
                with conn.pipeline():
                    c.execute("BEGIN")
                    c.execute(f"INSERT INTO applied_batches VALUES (?, {POSTGRES.server_clock})",
                              (batch,))
                    body(c)
                    c.execute("COMMIT")
            except psycopg.errors.UniqueViolation as exc:
                _roll_back(conn)
                if exc.diag.constraint_name != "applied_batches_pkey":
                    raise
            except BaseException:
                _roll_back(conn)
                raise

        self._retrying(attempt)

    def read(self, fn: Callable[[SQLConnection], T]) -> T:
        """``fn(connection)`` outside a transaction, retried on transient errors.

        Its statements are planned for their values every time (see :class:`PgConnection`).
        """
        return self._retrying(lambda conn: fn(PgConnection(conn, prepare=False)))

    def _snapshot(self, fn: Callable[[SQLConnection], T]) -> T:
        """``fn(connection)`` reading one snapshot (its statements agree on the runs)."""
        def attempt(conn: psycopg.Connection[Any]) -> T:
            with conn.transaction():
                c = PgConnection(conn, prepare=False)
                c.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                return fn(c)

        return self._retrying(attempt)

    def bound_waits(self, seconds: float) -> None:
        """Retry transient errors for at most ``seconds`` from now on."""
        self._retry_for = seconds

    def idle(self) -> None:
        """Now and then, forget the ids of batches too old to be retried."""
        if time.monotonic() - self._pruned < _PRUNE_EVERY:
            return
        self._pruned = time.monotonic()
        try:
            self.transaction(lambda c: c.execute(
                f"DELETE FROM applied_batches WHERE applied < {POSTGRES.server_clock} - ?",
                (_BATCHES_KEPT,)))
        except StoreError:
            pass  # the next turn tries again

    def close(self) -> None:
        """Close the pool's connections."""
        self._pool.close()

    # -------------------------------------------------------------- writes
    def apply(self, ops: Sequence[Op]) -> None:
        """Write buffered operations in one transaction, exactly once."""
        self._apply_batch(uuid.uuid4().hex, ops)

    def _apply_batch(self, batch: str, ops: Sequence[Op]) -> None:
        """Write ``ops`` unless batch ``batch`` was committed already."""
        attempts = 0

        def body(c: SQLConnection) -> None:
            nonlocal attempts
            attempts += 1
            if attempts > 1:
                # the failed attempt may have created an experiment this process remembers
                self.write_state.forget()
            write_ops(c, self.write_state, ops)

        with self._writing():
            self._batch_transaction(batch, body)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One writer of this process at a time; a failed write forgets what this
        connection remembers of it (an experiment id the rollback took back)."""
        with self._write_lock:
            try:
                yield
            except BaseException:
                self.write_state.forget()
                raise

    # --------------------------------------------------------------- reads
    def search(self, where: Node | None, order_by: Sequence[OrderKey],
               experiment: str | None, limit: int | None, offset: int) -> RunTable:
        """Return the matching runs as columns, paged by the server.

        Every run reads its key tables whole (three statements in one snapshot); a
        filtered or paged search is one statement (:func:`~nbtrack.store.pg_sql.page_sql`),
        which sees one snapshot by itself.
        """
        if where is None and experiment is None and limit is None and not offset:
            sql, args = self._query(where, order_by, experiment, limit, offset, RUN_COLUMNS)
            return self._snapshot(
                lambda c: read_table(c, c.execute(sql, args).fetchall(), True, POSTGRES))
        sql, args = build_query(where, order_by, experiment, limit, offset, PAGE_COLUMNS,
                                self._count_capped, POSTGRES, numbered=True)
        page = page_sql(sql)
        return self.read(lambda c: read_page(c.execute(page, args).fetchall(), POSTGRES))

    # --------------------------------------------------------- housekeeping
    def reap_dead_runs(self, open_here: set[str]) -> list[str]:
        """Mark RUNNING runs KILLED whose heartbeat is stale by the server's clock (or,
        on this host, whose process is gone)."""
        def reap(c: SQLConnection) -> list[str]:
            now = c.execute(f"SELECT {POSTGRES.server_clock}").fetchone()[0]
            return reap_dead_runs(c, self.host, open_here, now)

        return self.transaction(reap)

    def write_once(self, body: Callable[[SQLConnection], None]) -> None:
        """``body(connection)`` in one transaction, never retried once it may have
        committed (the caller finds out what landed instead)."""
        with self._writing():
            self.transaction(body, idempotent=False)

    def bulk_import(self, runs: Iterable[Run], batch_size: int) -> int:
        """Write finished runs in large transactions (no buffer)."""
        with self._writing():
            count = bulk_import(lambda body: self.transaction(body, idempotent=False),
                                self.write_state, runs, batch_size)
        # fresh statistics, or the planner takes the new tables for empty ones and picks
        # nested loops over the whole import (autovacuum gets there only later)
        self.read(lambda c: c.execute("ANALYZE runs, params, latest_metrics, metrics, tags"))
        return count

    def gc(self, dry_run: bool, min_age: float) -> list[str]:
        """Content no run refers to (stored ``min_age`` seconds ago or more), deleted
        unless ``dry_run``."""
        found = self.content.unreferenced(min_age)
        if not dry_run:
            self.content.delete_unreferenced(found)
        return found + collect_object_garbage(self.read, self.artifact_location, dry_run,
                                              min_age)

    def fsck(self) -> list[str]:
        """Re-hash every artifact's content; return the problems found."""
        return check_content(self.read, self.content_of)


class _RegistryConnection:
    """The backend as the registry uses it: one registry writer at a time."""

    def __init__(self, backend: PostgresBackend) -> None:
        self._backend = backend

    def transaction(self, body: Callable[[SQLConnection], T]) -> T:
        return self._backend.transaction(body, lock=_REGISTRY_LOCK, idempotent=False)

    def read(self, fn: Callable[[SQLConnection], T]) -> T:
        return self._backend.read(fn)
