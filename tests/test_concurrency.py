"""Many processes writing one SQLite store at once never see "database is locked"."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from nbtrack.store import open_store

pytestmark = pytest.mark.slow

WRITER = textwrap.dedent("""
    import sys
    import nbtrack
    worker = int(sys.argv[1])
    nbtrack.set_experiment("shared")   # every process creates the same experiment
    for i in range(int(sys.argv[2])):
        with nbtrack.start_run(name=f"w{worker}-{i}", params={"worker": worker, "i": i}):
            nbtrack.log_metrics({"a": i, "b": worker})
    print("ok", worker)
""")


def test_eight_processes_by_500_runs(tmp_path, python_env):
    store_dir = tmp_path / ".nbtrack"
    python_env["NBTRACK_STORE"] = str(store_dir)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(w), "500"], env=python_env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for w in range(8)]
    results = [p.communicate(timeout=240) for p in procs]
    errors = [err for (_, err) in results if err.strip()]
    assert [p.returncode for p in procs] == [0] * 8, errors
    assert errors == []
    store = open_store(str(store_dir))
    assert store.count() == 4000
    assert store.experiments() == ["shared"]
    table = store.search()
    assert len(set(table.base["run_id"])) == 4000
    assert set(table.base["status"]) == {"FINISHED"}
    pairs = set(zip(table.params["worker"], table.params["i"]))
    assert len(pairs) == 4000
    assert store.fsck() == []


def test_concurrent_first_open_creates_one_schema(tmp_path, python_env):
    store_dir = tmp_path / "fresh"
    code = "import sys; from nbtrack.store import open_store; open_store(sys.argv[1]); print('ok')"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(store_dir)], env=python_env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(12)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e for _, e in outs]
    store = open_store(str(store_dir))
    rows = store.backend.read(lambda c: c.execute("SELECT version FROM nbtrack_schema").fetchall())
    assert len(rows) == 1
