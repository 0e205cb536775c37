"""Sweeps: a run re-executed over a grid in real kernels, locally and on a Dask LocalCluster."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from IPython.core.error import UsageError

import nbtrack
from nbtrack.entities import RunStatus
from nbtrack.errors import ExportError, InvalidValueError, ReproductionError
from nbtrack.filters import by_parent, parse_filter

#: 10 / (depth - C): the point C=4, depth=4 divides by zero
CELL = "%%track --quiet\nC = 1\ndepth = 3\nscore = round(base / (depth - C), 9)"
GRID = {"C": [1, 2, 4], "depth": [3, 4]}


def tracked(ip, body, *before):
    for source in before:
        assert ip.run_cell(source, store_history=True).success
    assert ip.run_cell(body, store_history=True).success
    return nbtrack.runs().run_id[0]


def children(run_id):
    store = nbtrack.tracker().store
    return [store.get_run(i) for i in store.search(by_parent(run_id)).run_ids]


def by_point(runs):
    return {int(r.tags["sweep_point"]): r for r in runs}


@pytest.mark.slow
def test_dask_sweep_records_every_point_goes_on_past_a_failure_and_matches_local(ip):
    source = tracked(ip, CELL, "base = 10")
    result = nbtrack.sweep(source[:10], GRID, engine="dask", jobs=2, progress=False)

    assert (result.finished, result.failed, result.cancelled) == (5, 1, 0)
    runs = by_point(children(source))
    assert sorted(runs) == [0, 1, 2, 3, 4, 5]
    assert all(r.parent_run_id == source and r.tags["sweep"] == result.sweep_id
               for r in runs.values())
    expected = [{"C": c, "depth": d} for c in GRID["C"] for d in GRID["depth"]]
    assert [runs[i].params for i in range(6)] == expected
    failed = runs[5]
    assert failed.status is RunStatus.FAILED and "ZeroDivisionError" in failed.error
    assert result.points[5].error == "ZeroDivisionError: division by zero"
    assert result.points[5].run_id == failed.run_id
    # base = 10 came from the earlier cell the export traced, not from the grid
    dask_scores = {i: runs[i].metrics["score"] for i in range(5)}
    assert dask_scores == {0: 5.0, 1: round(10 / 3, 9), 2: 10.0, 3: 5.0, 4: -10.0}
    frame = result.runs
    assert list(frame["status"]) == ["FINISHED"] * 5 + ["FAILED"]
    assert list(frame["params.C"]) == [1, 1, 2, 2, 4, 4]
    assert "ZeroDivisionError" in result._repr_html_() and "5 finished, 1 failed" in str(result)

    local = nbtrack.sweep(source, GRID, engine="local", jobs=2, progress=False)
    assert local.sweep_id != result.sweep_id and (local.finished, local.failed) == (5, 1)
    assert {p.index: p.metrics for p in local.points if p.status == "FINISHED"} == \
        {p.index: p.metrics for p in result.points if p.status == "FINISHED"}
    assert local.points[5].error == result.points[5].error
    assert len(children(source)) == 12


@pytest.mark.slow
def test_a_point_that_cannot_reach_the_store_sends_its_run_back(ip, tmp_path):
    from nbtrack.sweeps.point import PointSpec, StoreTarget, run_point
    from nbtrack.sweeps.transfer import write_payload

    source = tracked(ip, "%%track --quiet\nrate = 0.5\nlosses = []\nfor step in range(3):\n"
                     "    losses.append(rate ** step)\nfinal = losses[-1]")
    store = nbtrack.tracker().store
    exported = nbtrack.export(source, str(tmp_path / "source.ipynb"))
    database = os.stat(Path(store.folder) / "nbtrack.db")
    # the sweep's store as a worker on another machine is told of it
    elsewhere = StoreTarget(str(store.folder), "another-host",
                            (database.st_dev, database.st_ino))
    spec = PointSpec(exported.notebook.read_text(), source, "s-test", elsewhere, str(tmp_path))
    outcome = run_point(spec, 7, {"rate": 0.25}, lambda: False)

    assert outcome.status == "FINISHED" and outcome.payload is not None
    assert children(source) == [], "nothing was written to the unreachable store"
    assert write_payload(store, outcome.payload) == outcome.run_id
    [child] = children(source)
    assert child.run_id == outcome.run_id and child.status is RunStatus.FINISHED
    assert child.params == {"rate": 0.25} and child.metrics["final"] == 0.0625
    assert child.tags["sweep"] == "s-test" and child.tags["sweep_point"] == "7"
    assert list(child.history("losses")["value"]) == [1.0, 0.25, 0.0625]
    assert child.record.source is not None and child.end_time is not None


@pytest.mark.slow
def test_a_point_failing_before_its_cell_is_recorded_failed_with_its_error(ip, tmp_path):
    (tmp_path / "weights.txt").write_text("3")
    source = tracked(ip, "%%track --quiet\nscale = 2\ntotal = weight * scale",
                     "weight = int(open('weights.txt').read())")
    (tmp_path / "weights.txt").unlink()
    result = nbtrack.sweep(source, {"scale": [5]}, progress=False)
    assert (result.finished, result.failed) == (0, 1)
    [child] = children(source)
    assert child.status is RunStatus.FAILED and child.params == {"scale": 5}
    first = "FileNotFoundError: [Errno 2] No such file or directory: 'weights.txt'"
    assert result.points[0].error == first and result.points[0].run_id == child.run_id
    # the run keeps the failed cell's traceback under the one-line error, without colours
    assert child.error.startswith(first + "\n\n") and "open('weights.txt')" in child.error
    assert "\x1b[" not in child.error


@pytest.mark.slow
def test_ctrl_c_cancels_the_pending_points_and_leaves_no_kernel(ip, python_env):
    source = tracked(ip, "%%track --quiet\nimport time\nwait = 0\ntime.sleep(wait)\ndone = 1.0")
    code = (f"import nbtrack\nnbtrack.sweep({source!r}, {{'wait': [60, 61, 62]}}, jobs=1, "
            "progress=False)")
    sweeping = subprocess.Popen([sys.executable, "-c", code], env=python_env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        store = nbtrack.tracker().store
        running = parse_filter(f"parent_run_id = '{source}' and status = 'RUNNING'")
        deadline = time.time() + 90
        while store.count(running) == 0:
            assert time.time() < deadline and sweeping.poll() is None, sweeping.stderr.read()
            time.sleep(0.2)
        kernels = psutil.Process(sweeping.pid).children(recursive=True)
        assert kernels, "the point runs in a kernel process"
        sweeping.send_signal(signal.SIGINT)
        _, err = sweeping.communicate(timeout=60)
    finally:
        if sweeping.poll() is None:
            sweeping.kill()
    assert sweeping.returncode != 0 and "KeyboardInterrupt" in err
    assert "1 interrupted, 2 not run" in err and "cancelled. Its runs: tags.sweep" in err
    [child] = children(source)
    assert child.status is RunStatus.INTERRUPTED and child.params["wait"] == 60
    gone, alive = psutil.wait_procs(kernels, timeout=10)
    assert not alive, f"orphan processes: {alive}"


@pytest.mark.slow
def test_track_sweep_in_a_kernel_records_children_and_opens_the_comparison(tmp_path):
    from nbclient import NotebookClient

    cells = ["%load_ext nbtrack", "offset = 1",
             "%%track\nalpha = 1\nscore = alpha * 10 + offset",
             "result = %track sweep alpha=2..3 --jobs 2\nresult",
             "print(result.finished, result.failed, list(result.runs['metrics.score']))"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    sweep_outputs = nb.cells[3].outputs
    html = [o.data["text/html"] for o in sweep_outputs if "text/html" in o.get("data", {})]
    assert any("nbtrack-static" in h and "2 runs" in h for h in html), "the comparison opened"
    assert any("nbtrack-sweep" in h and "2 finished" in h for h in html)
    assert nb.cells[4].outputs[0].text.strip() == "2 0 [21.0, 31.0]"
    store = nbtrack.tracker().store
    source = store.search(parse_filter("params.alpha = 1")).run_ids[0]
    runs = by_point(children(source))
    assert {i: (r.params["alpha"], r.metrics["score"]) for i, r in runs.items()} == \
        {0: (2, 21.0), 1: (3, 31.0)}


def test_bad_sweep_commands_are_one_line_usage_errors(ip, capsys):
    run_id = tracked(ip, "%%track --quiet\nC = 1\ndepth = 2\nacc = C / depth")
    for line, message in [
        ("sweep gamma=1,2", f"run {run_id} has no param gamma (its params: C, depth)"),
        ("sweep C=3..1", "range 3..1 of C is empty"),
        ("sweep C=0.1..0.5", "is not of integers"),
        ("sweep C=1,,2", "empty value in C=1,,2"),
        ("sweep C=1 C=2", "C is given twice"),
        (f"sweep {run_id} C=1 depth", "'depth' is not NAME=VALUES"),
        ("sweep", "give the params to sweep"),
        (f"sweep {run_id}", "give the params to sweep"),
        ("sweep r-zzzzzzzz C=1", "no run matches 'r-zzzzzzzz'"),
        ("sweep --jobs 0 C=1", "jobs must be a whole number of at least 1"),
        ("sweep --engine local --scheduler tcp://127.0.0.1:1 C=1",
         "a scheduler address is for the dask engine"),
        ("sweep --engine spark C=1", "invalid choice: 'spark'"),
    ]:
        with pytest.raises(UsageError) as caught:
            ip.run_line_magic("track", line)
        assert message in str(caught.value), line
        assert "\n" not in str(caught.value).strip(), line
    assert children(run_id) == [], "no bad command ran a point"
    ip.run_line_magic("track", "sweep --help")
    out = capsys.readouterr().out
    assert "%track sweep" in out and "NAME=VALUES" in out and "--scheduler" in out


def test_the_dask_engine_without_dask_names_the_extra(ip, monkeypatch):
    run_id = tracked(ip, "%%track --quiet\nC = 1\nacc = C / 2")
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if it were not installed
    with pytest.raises(ReproductionError) as caught:
        nbtrack.sweep(run_id, {"C": [1, 2]}, engine="dask")
    assert str(caught.value) == ("the dask engine needs dask.distributed; install it with "
                                 "pip install 'nbtrack[dask]'")
    with pytest.raises(UsageError, match=r"pip install 'nbtrack\[dask\]'"):
        ip.run_line_magic("track", "sweep --engine dask C=1,2")


def test_runs_without_code_or_stores_kernels_cannot_write_are_refused(ip):
    from nbtrack.store import open_store
    from nbtrack.tracking import Tracker

    with nbtrack.start_run(params={"C": 1}) as run:
        nbtrack.log_metric("acc", 0.5)
    with pytest.raises(ExportError, match="no code to sweep"):
        nbtrack.sweep(run.run_id, {"C": [2]})
    with pytest.raises(InvalidValueError, match="unknown engine 'spark'"):
        nbtrack.sweep(run.run_id, {"C": [2]}, engine="spark")
    memory = open_store("memory:")
    with Tracker(memory).start_run(params={"C": 1}, context={"source": "acc = C / 2"},
                                   capture_environment=False) as in_memory:
        pass
    with pytest.raises(ReproductionError, match="cannot write to an in-memory store"):
        nbtrack.sweep(in_memory.run_id, {"C": [2]}, store=memory)
    memory.close()


def test_import_nbtrack_loads_no_engine_and_sweep_stays_a_function(python_env):
    code = textwrap.dedent("""
        import sys, nbtrack
        heavy = [m for m in ('dask', 'distributed', 'nbclient', 'papermill', 'tqdm',
                             'jupyter_client', 'pandas') if m in sys.modules]
        import nbtrack.sweeps.driver, nbtrack.sweeps.dask_engine, nbtrack.sweeps.local_engine
        print(heavy, callable(nbtrack.sweep), nbtrack.sweep.__module__)
    """)
    out = subprocess.run([sys.executable, "-c", code], env=python_env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "[] True nbtrack.sweeps"
