"""The write buffer: a failing background flush warns once and loses nothing."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from nbtrack.entities import Run
from nbtrack.errors import NbtrackWarning
from nbtrack.ids import new_run_id
from nbtrack.store import buffer as buffer_module
from nbtrack.store import open_store


def test_a_failing_background_flush_warns_once_and_keeps_every_record(tmp_path, monkeypatch):
    store = open_store(str(tmp_path / "store"))
    # this test drives the buffer itself; the shared thread must not tick it meanwhile
    buffer_module._OPEN.discard(store.buffer)
    run = Run(new_run_id(), experiment="exp", start_time=time.time())
    store.create_run(run)
    store.log_batch(run.run_id, params=[("alpha", 0.5)])

    def disk_full(ops):
        raise OSError("disk full")

    monkeypatch.setattr(store.backend, "apply", disk_full)
    store.buffer._pending_since = time.monotonic() - 10
    with pytest.warns(NbtrackWarning, match=r"disk full.*2 record\(s\) are kept in memory"):
        store.buffer.tick(beat=False)
    with pytest.warns() as later:
        store.buffer._pending_since = time.monotonic() - 10
        store.buffer.tick(beat=False)
        import warnings
        warnings.warn("marker", UserWarning, stacklevel=1)
    assert [str(w.message) for w in later] == ["marker"], "one warning, not one per tick"
    monkeypatch.undo()
    store.buffer.tick(beat=True)
    assert store.get_run(run.run_id).params == {"alpha": 0.5}
    store.close()


@pytest.mark.slow
def test_a_process_that_exits_leaves_no_write_ahead_log_behind(python_env, tmp_path):
    code = ("import time, nbtrack\n"
            "for i in range(3):\n"
            "    with nbtrack.start_run(params={'a': i}):\n"
            "        nbtrack.log_metric('m', 1.0)\n"
            "    time.sleep(1.2)\n")  # long enough for the background thread's checkpoints
    done = subprocess.run([sys.executable, "-c", code], env=python_env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    store = Path(python_env["NBTRACK_STORE"])
    assert sorted(p.name for p in store.iterdir()) == ["nbtrack.db"]
    assert open_store(str(store)).count() == 3


def test_a_write_that_sqlite_rolls_back_leaves_no_stale_experiment_behind(tmp_path, monkeypatch):
    import sqlite3

    from nbtrack.errors import StoreError
    from nbtrack.store import sqlite as sqlite_backend

    store = open_store(str(tmp_path / "store"))
    buffer_module._OPEN.discard(store.buffer)
    original = sqlite_backend.write_ops

    def fails_after_writing(c, state, ops):
        original(c, state, ops)
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(sqlite_backend, "write_ops", fails_after_writing)
    run = Run(new_run_id(), experiment="fresh", start_time=time.time())
    store.create_run(run, environment={"python": "3"})
    with pytest.raises(StoreError, match="disk I/O error"):
        store.flush()
    monkeypatch.setattr(sqlite_backend, "write_ops", original)
    store.flush()
    assert store.get_run(run.run_id).experiment == "fresh"
    assert store.get_context(run.run_id)["environment"] == {"python": "3"}
