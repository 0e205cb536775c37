"""Every answered request written to the store, off the serving path.

Requests go into a bounded queue that a writer thread empties in batches; when
the queue is full a request is dropped and counted, never waited for, so a slow
disk cannot slow serving. ``close`` writes what is queued, waiting at most a
few seconds.
"""

from __future__ import annotations

import json
import queue
import threading
from typing import Any

from ..store import Store

__all__ = ["RequestLog"]

#: Inputs or predictions longer than this (JSON characters) are not kept.
KEEP_UP_TO = 100_000


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
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < 500:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            try:
                self.store.backend.registry.log_requests([
                    (*row[:7], _capped(row[7]), _capped(row[8])) for row in batch])
                self.written += len(batch)
            except Exception:
                self.dropped += len(batch)  # the store refused; serving goes on
            if stop:
                return

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued (waiting at most ``timeout`` seconds), then stop."""
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            return
        self._thread.join(timeout)


def _capped(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "to_dict"):  # a DataFrame of inputs
        value = value.to_dict("split")
    text = json.dumps(value, default=str)
    return text if len(text) <= KEEP_UP_TO else None
