"""A process killed with SIGKILL loses at most its last second of logging."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from nbtrack.entities import RunStatus
from nbtrack.store import open_store

pytestmark = pytest.mark.slow

LOGGER = textwrap.dedent("""
    import sys, time
    import nbtrack
    ack = open(sys.argv[1], "w")
    run = nbtrack.start_run(name="doomed")
    print(run.run_id, flush=True)
    i = 0
    while True:
        nbtrack.log_metric("step_value", float(i), step=i)
        ack.write(f"{time.time()} {i}\\n"); ack.flush()
        i += 1
        time.sleep(0.005)
""")


@pytest.mark.parametrize("seconds", [1.5, 3.0])
def test_sigkill_keeps_everything_flushed_a_second_before(tmp_path, python_env, seconds):
    ack = tmp_path / "ack.txt"
    proc = subprocess.Popen([sys.executable, "-c", LOGGER, str(ack)], env=python_env,
                            stdout=subprocess.PIPE, text=True)
    run_id = proc.stdout.readline().strip()
    time.sleep(seconds)
    killed_at = time.time()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    logged = [line.split() for line in ack.read_text().splitlines() if line.strip()]
    must_have = [int(i) for t, i in logged if float(t) <= killed_at - 1.0]
    assert must_have, "the child should have logged for more than a second"

    store = open_store(python_env["NBTRACK_STORE"])
    assert store.reap_dead_runs() == [run_id]
    run = store.get_run(run_id)
    assert run.status is RunStatus.KILLED and run.end_time is not None
    steps = [m.step for m in store.metric_history(run_id, "step_value")]
    assert steps == list(range(len(steps))), "points are kept in order, none missing"
    assert len(steps) >= len(must_have)
    assert len(steps) <= len(logged)
    integrity = store.backend.read(lambda c: c.execute("PRAGMA integrity_check").fetchone()[0])
    assert integrity == "ok"


def test_exit_with_a_locked_store_is_bounded_and_says_what_was_lost(tmp_path, python_env):
    """Another process holds the database; the logging process still exits within seconds."""
    import sqlite3

    store_dir = tmp_path / ".nbtrack"
    python_env["NBTRACK_STORE"] = str(store_dir)
    code = ("import sys, nbtrack\nrun = nbtrack.start_run(name='late')\n"
            "nbtrack.log_metric('m', 1.0)\nprint('ready', flush=True)\nsys.stdin.readline()\n")
    child = subprocess.Popen([sys.executable, "-c", code], env=python_env, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    assert child.stdout.readline().strip() == "ready"
    holder = sqlite3.connect(store_dir / "nbtrack.db", isolation_level=None, timeout=30)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.time()
        _, err = child.communicate("go\n", timeout=60)
        elapsed = time.time() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert elapsed < 20, f"exit took {elapsed:.1f} s"
    assert "could not be saved at exit" in err and "Traceback" not in err
