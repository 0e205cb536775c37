"""Artifacts whose content is still being produced when their run ends.

A notebook cell should not wait for a model file: the kernel snapshots the
model and a worker thread writes the file and records it with the run a moment
later. Every read of a run's artifacts in the same process waits for that
run's pending ones first, so ``load_model``, registration and export never see
a run without its model; other processes see it as soon as it is committed. A
process that exits normally finishes its pending artifacts first (an exit
handler hurries and drains them); one killed meanwhile loses those files, never
the run.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, Callable

__all__ = ["DeferredArtifacts"]


class _Job:
    __slots__ = ("run_id", "work", "hurry", "hand_off", "done")

    def __init__(self, run_id: str, work: Callable[[], Any],
                 hurry: Callable[[], None] | None,
                 hand_off: Callable[[], bool] | None) -> None:
        self.run_id, self.work, self.hurry, self.hand_off = run_id, work, hurry, hand_off
        self.done = threading.Event()


class DeferredArtifacts:
    """Jobs that record artifacts of a run off the caller's thread, one at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[_Job] = deque()
        self._pending: dict[str, list[_Job]] = {}
        self._wake = threading.Condition(self._lock)
        self._worker: threading.Thread | None = None

    def submit(self, run_id: str, work: Callable[[], Any],
               hurry: Callable[[], None] | None = None,
               hand_off: Callable[[], bool] | None = None) -> None:
        """Run ``work`` later; reads of ``run_id``'s artifacts wait for it.

        ``hurry`` is called when someone starts waiting for the job: whatever the job
        waits for that could be done sooner another way should be, now. ``hand_off``
        is called when this process exits with the job still pending: True means
        another process took it over (``work`` then raises
        :class:`~nbtrack.errors.HandedOff` if it runs).
        ``work`` reports its own failures; nothing it raises reaches anyone.
        """
        job = _Job(run_id, work, hurry, hand_off)
        with self._lock:
            if self._worker is None:
                import atexit

                # a daemon thread, drained by an exit handler that can hurry it: the
                # interpreter's own join of non-daemon threads could only wait
                self._worker = threading.Thread(target=self._serve, daemon=True,
                                                name="nbtrack-artifacts")
                self._worker.start()
                atexit.register(self.close, True)
            self._queue.append(job)
            self._pending.setdefault(run_id, []).append(job)
            self._wake.notify()

    def _serve(self) -> None:
        while True:
            with self._lock:
                while not self._queue:
                    self._wake.wait()
                job = self._queue.popleft()
            try:
                job.work()
            except BaseException:  # noqa: S110 - work reports its own failures
                pass
            finally:
                self._forget(job)

    def pending(self, run_id: str) -> bool:
        """True while an artifact of ``run_id`` is still being written."""
        return run_id in self._pending

    def wait(self, run_id: str | None = None) -> None:
        """Return once ``run_id``'s pending artifacts (default: every run's) are recorded."""
        if not self._pending:
            return
        with self._lock:
            if run_id is None:
                jobs = [job for jobs in self._pending.values() for job in jobs]
            else:
                jobs = list(self._pending.get(run_id, ()))
        for job in jobs:
            if job.hurry is not None and not job.done.is_set():
                job.hurry()
        for job in jobs:
            job.done.wait()

    def close(self, exiting: bool = False) -> None:
        """Finish every pending job (the store is closing); when this process is
        ``exiting``, first hand over the jobs that another process can finish."""
        if exiting:
            self._hand_off()
        self.wait()

    def _hand_off(self) -> None:
        with self._lock:
            jobs = [job for jobs in self._pending.values() for job in jobs]
        for job in jobs:
            if job.hand_off is None or job.done.is_set() or not job.hand_off():
                continue
            self._forget(job)

    def _forget(self, job: _Job) -> None:
        """The job is done, or another process took it: no reader waits for it now."""
        with self._lock:
            if job in self._queue:
                self._queue.remove(job)
            pending = self._pending.get(job.run_id, [])
            if job in pending:
                pending.remove(job)
            if not pending:
                self._pending.pop(job.run_id, None)
        job.done.set()
