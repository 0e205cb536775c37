"""Pending marks: readers wait for a model another process finishes, never for a dead one."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from nbtrack.store import pending


def test_a_mark_of_a_live_process_holds_readers_until_it_is_cleared(tmp_path):
    marker = pending.mark(tmp_path, "r-1", os.getpid())
    timer = threading.Timer(0.5, pending.clear, [marker])
    timer.start()
    started = time.monotonic()
    pending.wait(tmp_path, "r-1")
    assert time.monotonic() - started >= 0.5
    assert not marker.exists()


def test_marks_of_other_runs_do_not_hold_a_reader(tmp_path):
    marker = pending.mark(tmp_path, "r-2", os.getpid())
    started = time.monotonic()
    pending.wait(tmp_path, "r-1")
    assert time.monotonic() - started < 0.5
    assert marker.exists()


def test_a_mark_whose_process_is_gone_is_removed_by_the_next_reader(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    marker = pending.mark(tmp_path, "r-1", int(gone.stdout))
    started = time.monotonic()
    pending.wait(tmp_path)
    assert time.monotonic() - started < 0.5
    assert not marker.exists()


def test_a_reader_stops_waiting_after_the_timeout(tmp_path):
    marker = pending.mark(tmp_path, "r-1", os.getpid())
    started = time.monotonic()
    pending.wait(tmp_path, "r-1", timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 10
    assert marker.exists()

