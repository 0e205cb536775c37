"""The request log: a burst of requests lands in a few transactions, all of it, in order;
close() writes what is still queued; a full queue drops and counts."""

from __future__ import annotations

import time

import pytest

from nbtrack.serving.request_log import GATHER, RequestLog
from nbtrack.store import open_store


@pytest.fixture
def store(tmp_path):
    store = open_store(str(tmp_path / "store"))
    yield store
    store.close()


def _counting(store):
    """The real store, with the size of each transaction of requests written down."""
    registry = store.backend.registry
    write, sizes = registry.log_requests, []

    def log_requests(rows):
        sizes.append(len(rows))
        write(rows)

    registry.log_requests = log_requests
    return sizes


def test_a_burst_is_written_in_a_few_transactions_and_nothing_is_lost(store):
    sizes = _counting(store)
    log = RequestLog(store)
    for i in range(300):
        log.add(f"r{i:03d}", 1_000.0 + i, "iris", 1, 200, 0.001, 1, {"data": [[i]]}, [i % 3])
    log.close()
    assert sum(sizes) == log.written == 300
    assert len(sizes) <= 3, sizes
    logged = store.backend.registry.requests("iris")
    assert [r["request_id"] for r in logged] == [f"r{i:03d}" for i in range(300)]
    assert logged[7]["predictions"] == [1]


def test_a_lone_request_is_written_soon_without_close(store):
    sizes = _counting(store)
    log = RequestLog(store)
    started = time.monotonic()
    log.add("only", 1.0, "iris", 1, 200, 0.001, 1)
    while not sizes and time.monotonic() - started < 5:
        time.sleep(0.01)
    assert sizes == [1]
    assert time.monotonic() - started < GATHER + 1
    log.close()


def test_a_full_queue_drops_and_counts_without_blocking(store):
    log = RequestLog(store, capacity=5)
    started = time.monotonic()
    for i in range(50):
        log.add(f"r{i}", 1.0, "iris", 1, 200, 0.001, 1)
    assert time.monotonic() - started < GATHER
    log.close()
    assert log.dropped + log.written == 50
    assert log.dropped >= 40
