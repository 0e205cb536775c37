"""The write buffer every store shares: when buffered writes reach the backend.

Writers append operations to an in-memory list, which is written in one
transaction when a run ends, at least once a second while anything is pending
(one daemon thread serves every open store), before any read in the same
process (so a process always sees its own writes), and at interpreter exit.
Open runs get a heartbeat so that other processes can tell they are alive.

A failing background flush never reaches the user's code: the operations stay
buffered for the next try, and one warning says so (with how many are kept).
"""

from __future__ import annotations

import atexit
import sys
import threading
import time
import warnings
import weakref

from ..errors import NbtrackWarning
from .contract import Backend, Op

__all__ = ["WriteBuffer", "FLUSH_INTERVAL", "HEARTBEAT_INTERVAL", "EXIT_WAIT"]

#: Longest time a logged value waits in memory before it is committed (seconds).
FLUSH_INTERVAL = 1.0
#: How often an open run's heartbeat is refreshed (seconds).
HEARTBEAT_INTERVAL = 10.0
#: How long the interpreter's exit may wait for a locked store (seconds).
EXIT_WAIT = 5.0


class WriteBuffer:
    """Pending writes of one store, and the policy for committing them.

    Parameters
    ----------
    backend : Backend
        Where flushed operations go.
    """

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.pending: list[Op] = []
        #: Runs this process has open (they get heartbeats, and are never reaped here).
        self.open_runs: set[str] = set()
        self.lock = threading.RLock()
        self._pending_since: float | None = None
        self._failing = False
        _OPEN.add(self)
        _ensure_flusher()

    def add(self, op: Op) -> None:
        """Buffer one operation."""
        with self.lock:
            if not self.pending:
                self._pending_since = time.monotonic()
            self.pending.append(op)

    def add_point(self, run_id: str, point: tuple[str, float, int, float]) -> None:
        """Buffer one metric point, joining the previous ``points`` op of the same run."""
        with self.lock:
            pending = self.pending
            if pending:
                last = pending[-1]
                if last.kind == "points" and last.run_id == run_id:
                    last.payload.append(point)
                    return
            self.add(Op("points", run_id, [point]))

    def flush(self) -> int:
        """Write everything buffered in one transaction; return how many ops.

        On error the operations stay buffered, ahead of any added meanwhile, and
        the error propagates.
        """
        with self.lock:
            if not self.pending:
                return 0
            ops, self.pending = self.pending, []
            self._pending_since = None
            try:
                self.backend.apply(ops)
            except BaseException:
                self.pending[:0] = ops
                raise
            self._failing = False
            return len(ops)

    def tick(self, beat: bool) -> None:
        """One turn of the background thread: heartbeats, a due flush, housekeeping."""
        with self.lock:
            due = self._pending_since is not None and \
                time.monotonic() - self._pending_since >= FLUSH_INTERVAL * 0.5
            if beat and self.open_runs:
                now = time.time()
                for run_id in self.open_runs:
                    self.pending.append(Op("heartbeat", run_id, now))
                due = True
            if due:
                try:
                    self.flush()
                except Exception as exc:
                    self._warn_once(exc)
                    return
        self.backend.idle()

    def _warn_once(self, exc: Exception) -> None:
        if self._failing:
            return
        self._failing = True
        warnings.warn(f"nbtrack could not write to {self.backend.uri} in the background "
                      f"({exc}); {len(self.pending)} record(s) are kept in memory and written "
                      "at the next flush", NbtrackWarning, stacklevel=2)

    def save_at_exit(self) -> None:
        """Flush with waits bounded by :data:`EXIT_WAIT`; say what was lost, never hang.

        Then the backend is closed: a SQLite store's last connection to close folds its
        write-ahead log into the database and removes the ``-wal``/``-shm`` files.
        """
        self.backend.bound_waits(EXIT_WAIT)
        try:
            self.flush()
        except Exception as exc:  # exit must not hang or crash on a broken store
            print(f"nbtrack: {len(self.pending)} buffered record(s) could not be saved at "
                  f"exit: {exc}", file=sys.stderr)
            return
        _OPEN.discard(self)
        try:
            self.backend.close()
        except Exception:  # noqa: S110  closing is tidiness; the data is saved already
            pass

    def close(self) -> None:
        """Flush, then stop serving this buffer from the background thread."""
        try:
            self.flush()
        finally:
            _OPEN.discard(self)


_OPEN: weakref.WeakSet[WriteBuffer] = weakref.WeakSet()
_flusher_lock = threading.Lock()
_flusher: threading.Thread | None = None


def _flush_loop() -> None:
    ticks = 0
    while True:
        time.sleep(FLUSH_INTERVAL / 2)
        ticks += 1
        beat = ticks % int(2 * HEARTBEAT_INTERVAL / FLUSH_INTERVAL) == 0
        for buffer in list(_OPEN):
            try:
                buffer.tick(beat)
            except Exception:  # noqa: S110 - the thread serves every store; tick warns itself
                pass


def _ensure_flusher() -> None:
    global _flusher
    with _flusher_lock:
        if _flusher is None or not _flusher.is_alive():
            _flusher = threading.Thread(target=_flush_loop, name="nbtrack-flush", daemon=True)
            _flusher.start()


@atexit.register
def _flush_all_at_exit() -> None:
    for buffer in list(_OPEN):
        buffer.save_at_exit()
