"""The store interface every backend implements, and the write buffer they share.

Writers never touch the database directly: ``log_batch`` and friends append
operations to an in-memory buffer, which is written in one transaction when
a run ends, at least once a second while anything is pending (a daemon
thread), before any read in the same process (so a process always sees its
own writes), and at interpreter exit.
"""

from __future__ import annotations

import abc
import atexit
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from ..entities import Artifact, Metric, Run, RunStatus
from ..filters import Node, OrderKey

__all__ = ["Store", "RunTable", "Op", "FLUSH_INTERVAL", "HEARTBEAT_INTERVAL", "STALE_AFTER"]

#: Longest time a logged value waits in memory before it is committed (seconds).
FLUSH_INTERVAL = 1.0
#: How often an open run's heartbeat is refreshed (seconds).
HEARTBEAT_INTERVAL = 10.0
#: A running run whose heartbeat is older than this is considered dead (seconds).
STALE_AFTER = 120.0
#: How long the interpreter's exit may wait for a locked store (seconds).
EXIT_WAIT = 5.0


@dataclass
class Op:
    """One buffered write (kind is a backend-independent verb)."""

    kind: str
    run_id: str
    payload: Any = None


@dataclass
class RunTable:
    """Runs as columns, the shape a DataFrame is built from without per-row objects.

    ``base`` maps the fixed columns (run_id, experiment, name, ...) to lists;
    ``params`` / ``metrics`` / ``tags`` map each key to a list aligned with
    ``base["run_id"]`` (None where a run lacks the key).
    """

    base: dict[str, list[Any]] = field(default_factory=dict)
    params: dict[str, list[Any]] = field(default_factory=dict)
    metrics: dict[str, list[Any]] = field(default_factory=dict)
    tags: dict[str, list[Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.base.get("run_id", ()))

    def copy(self) -> RunTable:
        """A copy whose column lists can be changed without touching this one."""
        return RunTable({k: list(v) for k, v in self.base.items()},
                        {k: list(v) for k, v in self.params.items()},
                        {k: list(v) for k, v in self.metrics.items()},
                        {k: list(v) for k, v in self.tags.items()})


_OPEN_STORES: "weakref.WeakSet[Store]" = weakref.WeakSet()
_flusher_lock = threading.Lock()
_flusher: threading.Thread | None = None


def _flush_loop() -> None:
    import time

    ticks = 0
    while True:
        time.sleep(FLUSH_INTERVAL / 2)
        ticks += 1
        beat = ticks % int(2 * HEARTBEAT_INTERVAL / FLUSH_INTERVAL) == 0
        for store in list(_OPEN_STORES):
            try:
                store._background_tick(beat)
            except Exception:  # a background flush must never kill the thread
                pass


def _ensure_flusher() -> None:
    global _flusher
    with _flusher_lock:
        if _flusher is None or not _flusher.is_alive():
            _flusher = threading.Thread(target=_flush_loop, name="nbtrack-flush", daemon=True)
            _flusher.start()


@atexit.register
def _flush_all_at_exit() -> None:
    for store in list(_OPEN_STORES):
        store.save_at_exit()


class Store(abc.ABC):
    """A place runs are recorded: the only thing readers and writers share.

    Backends implement the ``_apply`` transaction and the read methods; the
    buffering, heartbeats and flushing policy live here, once.
    """

    uri: str

    def __init__(self) -> None:
        self._pending: list[Op] = []
        self._pending_since: float | None = None
        self._buffer_lock = threading.RLock()
        self._open_runs: set[str] = set()
        _OPEN_STORES.add(self)
        _ensure_flusher()

    # ----------------------------------------------------------------- writes
    def _enqueue(self, op: Op) -> None:
        import time

        with self._buffer_lock:
            if not self._pending:
                self._pending_since = time.monotonic()
            self._pending.append(op)

    def create_run(self, run: Run, context: Mapping[str, Any] | None = None,
                   environment: Mapping[str, Any] | None = None) -> None:
        """Record a new run (buffered).

        Parameters
        ----------
        run : Run
            The run as it starts (status RUNNING, params/tags may be set).
        context : dict, optional
            Free-form facts kept with the run (source code, notebook path, ...).
        environment : dict, optional
            Python/platform/packages/git facts, stored once per distinct value.
        """
        self._open_runs.add(run.run_id)
        self._enqueue(Op("create_run", run.run_id, (run, dict(context or {}),
                                                    environment)))

    def log_batch(self, run_id: str, params: Sequence[tuple[str, Any]] = (),
                  metrics: Sequence[Metric] = (), tags: Sequence[tuple[str, str]] = ()) -> None:
        """Record params, metric points and tags of a run (buffered)."""
        if params:
            self._enqueue(Op("params", run_id, list(params)))
        if metrics:
            self._enqueue(Op("metrics", run_id, list(metrics)))
        if tags:
            self._enqueue(Op("tags", run_id, list(tags)))

    def log_metric_point(self, run_id: str, key: str, value: float, step: int,
                         timestamp: float) -> None:
        """Record one metric point (buffered); the hot path of ``log_metric``.

        Points are kept as plain tuples until they are written.
        """
        point = (key, value, step, timestamp)
        with self._buffer_lock:
            pending = self._pending
            if pending:
                last = pending[-1]
                if last.kind == "points" and last.run_id == run_id:
                    last.payload.append(point)
                    return
            self._enqueue(Op("points", run_id, [point]))

    def set_context(self, run_id: str, context: Mapping[str, Any]) -> None:
        """Add or replace context entries of a run (buffered)."""
        self._enqueue(Op("context", run_id, dict(context)))

    def end_run(self, run_id: str, status: RunStatus, end_time: float,
                error: str | None = None) -> None:
        """Mark a run ended and commit everything buffered for it."""
        self._enqueue(Op("end_run", run_id, (status, end_time, error)))
        self._open_runs.discard(run_id)
        self.flush()

    def add_artifact(self, run_id: str, artifact: Artifact, data: bytes | None = None,
                     source_path: str | None = None) -> Artifact:
        """Store artifact content now and record it with the run (buffered row).

        Exactly one of ``data`` or ``source_path`` gives the content. The
        returned Artifact carries the content's sha256 and size.
        """
        stored = self._put_content(artifact, data, source_path)
        self._enqueue(Op("artifact", run_id, stored))
        return stored

    def flush(self) -> int:
        """Commit everything buffered in one transaction; return how many ops."""
        with self._buffer_lock:
            if not self._pending:
                return 0
            ops, self._pending = self._pending, []
            self._pending_since = None
            try:
                self._apply(ops)
            except BaseException:
                # keep the records for the next attempt rather than lose them
                self._pending[:0] = ops
                raise
            return len(ops)

    def _background_tick(self, beat: bool) -> None:
        import time

        with self._buffer_lock:
            due = self._pending_since is not None and \
                time.monotonic() - self._pending_since >= FLUSH_INTERVAL * 0.5
            if beat and self._open_runs:
                now = time.time()
                for run_id in self._open_runs:
                    self._pending.append(Op("heartbeat", run_id, now))
                due = True
            if due:
                self.flush()
        self._idle()

    def _idle(self) -> None:
        """Backend housekeeping run by the background thread (default: none)."""

    def save_at_exit(self) -> None:
        """Flush with waits bounded by :data:`EXIT_WAIT`; say what was lost, never hang."""
        self.bound_waits(EXIT_WAIT)
        try:
            self.flush()
        except Exception as exc:  # exit must not hang or crash on a broken store
            import sys

            print(f"nbtrack: {len(self._pending)} buffered record(s) could not be saved at "
                  f"exit: {exc}", file=sys.stderr)

    def bound_waits(self, seconds: float) -> None:
        """Wait at most ``seconds`` for a busy store from now on (backends override)."""

    def close(self) -> None:
        """Flush and release the backend's resources."""
        try:
            self.flush()
        finally:
            _OPEN_STORES.discard(self)
            self._close()

    # ------------------------------------------------------ backend contract
    @abc.abstractmethod
    def _apply(self, ops: list[Op]) -> None:
        """Write buffered operations in one transaction."""

    @abc.abstractmethod
    def _put_content(self, artifact: Artifact, data: bytes | None,
                     source_path: str | None) -> Artifact:
        """Store artifact bytes by content hash; return the artifact with hash and size."""

    @abc.abstractmethod
    def _close(self) -> None:
        """Release connections and files."""

    @abc.abstractmethod
    def read_artifact(self, run_id: str, name: str) -> bytes:
        """Return an artifact's bytes after checking their hash."""

    @abc.abstractmethod
    def artifact_path(self, run_id: str, name: str) -> str:
        """Local path of an artifact's content (checked), for tools that want a file."""

    @abc.abstractmethod
    def get_run(self, run_id_or_prefix: str) -> Run:
        """Return one run by full id or unique prefix (4+ characters)."""

    @abc.abstractmethod
    def search(self, where: Node | None = None, order_by: Sequence[OrderKey] = (),
               experiment: str | None = None, limit: int | None = None,
               offset: int = 0) -> RunTable:
        """Return the matching runs as columns."""

    @abc.abstractmethod
    def count(self, where: Node | None = None, experiment: str | None = None) -> int:
        """Count the matching runs."""

    @abc.abstractmethod
    def metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every point of one metric of one run, in step order."""

    @abc.abstractmethod
    def get_context(self, run_id: str) -> dict[str, Any]:
        """Context entries of a run (source, notebook, environment, ...)."""

    @abc.abstractmethod
    def experiments(self) -> list[str]:
        """Names of the experiments in the store."""

    @abc.abstractmethod
    def reap_dead_runs(self) -> list[str]:
        """Mark RUNNING runs whose process is gone as KILLED; return their ids."""

    @abc.abstractmethod
    def bulk_import(self, runs: Iterable[Run], batch_size: int = 10_000) -> int:
        """Write finished runs directly (no buffer), in large transactions."""

    @abc.abstractmethod
    def gc(self, dry_run: bool = True) -> list[str]:
        """Find (and unless ``dry_run``, delete) artifact files no run refers to."""

    @abc.abstractmethod
    def fsck(self) -> list[str]:
        """Check database integrity and re-hash artifacts; return the problems found."""

    # --------------------------------------------------------- conveniences
    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
