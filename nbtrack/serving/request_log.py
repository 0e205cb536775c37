"""Every answered request written to the store, off the serving path.

Requests go into a bounded queue that a writer thread empties in batches; when
the queue is full a request is dropped and counted, never waited for, so a slow
disk cannot slow serving. ``close`` writes what is queued, waiting at most a
few seconds.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from typing import Any

from ..store import Store

__all__ = ["RequestLog"]

#: Inputs or predictions longer than this (JSON characters) are not kept.
KEEP_UP_TO = 100_000
#: Seconds the writer gathers requests after the first of a batch: one transaction per
#: request cost a commit each and took the interpreter from the serving thread about
#: 0.1 ms a request at full load; gathered, a busy server writes 20 times a second.
GATHER = 0.05
#: Kept inputs and predictions (JSON characters) written in one transaction at most: a
#: transaction of a hundred 1,000-row requests took 50 ms of the store's time at once,
#: and the serving thread's p99 with it.
CHUNK_BYTES = 1_000_000
#: Requests gathered into one batch at most.
BATCH = 500
#: How much nicer than the server the writer thread runs (``nice`` steps, 0-19).
WRITER_NICENESS = 10


class RequestLog:
    """Batches served requests into the store.

    Parameters
    ----------
    store : Store
    keep_inputs : bool
        Keep each request's inputs and predictions (up to :data:`KEEP_UP_TO` characters).
    capacity : int
        Requests that may wait; beyond that they are dropped and counted in ``dropped``.
    """

    def __init__(self, store: Store, keep_inputs: bool = True, capacity: int = 10_000) -> None:
        self.store = store
        self.keep_inputs = keep_inputs
        self.dropped = 0
        self.written = 0
        self._queue: queue.Queue[tuple[Any, ...] | None] = queue.Queue(capacity)
        self._thread = threading.Thread(target=self._write, name="nbtrack-request-log",
                                        daemon=True)
        self._thread.start()

    def add(self, request_id: str, ts: float, model: str, version: int | None, status: int,
            latency: float, rows: int, inputs: Any = None, predictions: Any = None) -> None:
        """Queue one request (never blocks). ``inputs`` may be a DataFrame: it is turned
        into JSON by the writer thread, not on the request's path."""
        if not self.keep_inputs:
            inputs = predictions = None
        try:
            self._queue.put_nowait((request_id, ts, model, version, status, latency, rows,
                                    inputs, predictions))
        except queue.Full:
            self.dropped += 1

    def _write(self) -> None:
        _yield_to_serving()
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                return
            # slept, not waited for on the queue: a wait would wake for every request
            time.sleep(GATHER)
            batch = [first]
            while len(batch) < BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            rows: list[tuple[Any, ...]] = []
            size = 0
            for item in batch:
                rows.append(_encoded(item))
                kept = len(rows[-1][7] or "") + len(rows[-1][8] or "")
                size += kept
                if kept > 10_000:
                    # a large request's inputs take a millisecond to encode, holding
                    # the interpreter: hand it back to the serving thread after each
                    time.sleep(0)
                if size >= CHUNK_BYTES:
                    self._store(rows)
                    rows, size = [], 0
            if rows:
                self._store(rows)

    def _store(self, rows: list[tuple[Any, ...]]) -> None:
        try:
            self.store.backend.registry.log_requests(rows)
            self.written += len(rows)
        except Exception:
            self.dropped += len(rows)  # the store refused; serving goes on
        time.sleep(0)

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued (waiting at most ``timeout`` seconds), then stop."""
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            return
        self._thread.join(timeout)


def _yield_to_serving() -> None:
    """Lower this thread's scheduling priority (Linux schedules threads one by one): a
    batch of large requests takes the store tens of milliseconds of CPU, which on a small
    machine would otherwise be taken from the thread answering requests."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WRITER_NICENESS)
    except (AttributeError, OSError):
        pass  # not Linux, or not allowed: the log is written at normal priority


def _encoded(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return (*row[:7], _capped(row[7]), _capped(row[8]))


def _capped(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "to_dict"):  # a DataFrame of inputs
        value = value.to_dict("split")
    text = json.dumps(value, default=str)
    return text if len(text) <= KEEP_UP_TO else None
