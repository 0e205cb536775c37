"""The model-writer child: same files as skops in the kernel, and a clean fallback."""

from __future__ import annotations

import sys
import textwrap

import pytest
import skops.io as sio
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier

from nbtrack.model_writer import ModelWriterFailed, ModelWriterProcess


@pytest.fixture(scope="module")
def writer():
    process = ModelWriterProcess()
    yield process
    process.close()


def test_the_child_writes_a_file_skops_reads_back_with_the_types_it_needs(writer):
    X, y = load_iris(return_X_y=True)
    tree = DecisionTreeClassifier(random_state=0).fit(X, y)
    data, untrusted = writer.dump(tree)
    assert untrusted == sorted(sio.get_untrusted_types(data=sio.dumps(tree)))
    assert "sklearn.tree._tree.Tree" in untrusted
    assert (sio.loads(data, trusted=untrusted).predict(X) == tree.predict(X)).all()


def test_a_class_from_a_module_on_the_kernels_path_is_found_by_the_child(writer, tmp_path,
                                                                         monkeypatch):
    (tmp_path / "house_models.py").write_text(textwrap.dedent("""
        from sklearn.linear_model import Ridge

        class HouseRidge(Ridge):
            pass
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    import house_models

    X, y = load_iris(return_X_y=True)
    data, untrusted = writer.dump(house_models.HouseRidge(alpha=2.0).fit(X, y))
    assert untrusted == ["house_models.HouseRidge"]
    sys.modules.pop("house_models")


def test_notebook_defined_code_is_left_to_the_kernel(writer):
    from sklearn.linear_model import Ridge

    notebook_class = type("NotebookRidge", (Ridge,), {"__module__": "__main__"})
    sys.modules["__main__"].NotebookRidge = notebook_class  # type: ignore[attr-defined]
    try:
        assert writer.dump(notebook_class()) is None
    finally:
        del sys.modules["__main__"].NotebookRidge  # type: ignore[attr-defined]
    assert writer.alive


def test_what_skops_refuses_is_reported_and_the_child_goes_on(writer):
    with pytest.raises(ModelWriterFailed, match="complex"):
        writer.dump({"weights": complex(1, 2)})
    data, untrusted = writer.dump({"alpha": 0.5})
    assert sio.loads(data, trusted=untrusted) == {"alpha": 0.5}


def test_a_dead_child_means_the_kernel_writes_the_model_itself():
    process = ModelWriterProcess()
    assert process.dump([1, 2]) is not None
    assert process._proc is not None
    process._proc.kill()
    process._proc.wait()
    assert not process.alive
    assert process.dump([1, 2]) is None


def test_a_child_that_cannot_import_skops_declines_and_stops(tmp_path, monkeypatch):
    broken = tmp_path / "skops"
    broken.mkdir()
    (broken / "__init__.py").write_text("raise ImportError('skops is broken here')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    process = ModelWriterProcess()
    assert process.dump([1]) is None
    assert not process.alive


def test_a_child_that_never_starts_declines():
    process = ModelWriterProcess(python="/bin/false")
    assert process.dump([1]) is None
    assert not process.alive


def test_the_child_is_outside_the_kernels_process_group(writer):
    # ipykernel waits at shutdown for the children of its group, and an interrupt of the
    # kernel signals the group: neither must reach the model writer
    import os

    assert writer._proc is not None
    assert os.getpgid(writer._proc.pid) != os.getpgrp()


def _wait_until(predicate, seconds=60.0):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_paused_starting_child_makes_no_progress_until_resumed():
    import time

    process = ModelWriterProcess()
    try:
        process.pause()
        time.sleep(3)
        assert process.alive and not process.ready
        process.resume()
        assert _wait_until(lambda: process.ready)
    finally:
        process.close()


def test_writing_through_a_paused_child_lets_it_go_on():
    process = ModelWriterProcess()
    try:
        process.pause()
        data, untrusted = process.dump({"alpha": 0.5})
        assert sio.loads(data, trusted=untrusted) == {"alpha": 0.5}
        process.pause()  # waited for once: a later pause no longer stops it
        assert process.dump([1, 2]) is not None
    finally:
        process.close()


def test_hurrying_a_child_still_starting_stops_it_and_its_snapshots_come_back_unwritten():
    process = ModelWriterProcess()
    body = process.snapshot({"alpha": 0.5})
    process.pause()
    process.hurry()
    assert not process.alive
    assert process.convert(body) is None


def test_hurrying_a_ready_child_keeps_it():
    process = ModelWriterProcess()
    try:
        assert _wait_until(lambda: process.ready)
        process.hurry()
        data, untrusted = process.convert(process.snapshot({"alpha": 0.5}))
        assert sio.loads(data, trusted=untrusted) == {"alpha": 0.5}
    finally:
        process.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_paused_child_ends_with_its_kernel(tmp_path):
    import subprocess

    script = ("import os, sys\nfrom nbtrack.model_writer import ModelWriterProcess\n"
              "p = ModelWriterProcess()\np.pause()\nprint(p._proc.pid, flush=True)\nos._exit(0)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60, check=True)
    pid = int(out.stdout)

    def gone():
        try:
            with open(f"/proc/{pid}/status") as status:
                return any(line.startswith("State:") and "Z" in line for line in status)
        except FileNotFoundError:
            return True

    assert _wait_until(gone, 20)


EXITS_BEFORE_THE_WRITER_IS_READY = """
import atexit, sys
# registered first, so it runs after every other exit handler
atexit.register(lambda: print("skops imported here:", "skops.io" in sys.modules, flush=True))
from sklearn.linear_model import LogisticRegression
from nbtrack import model_writer
from nbtrack.store import open_store
from nbtrack.tracking import Tracker

model_writer.start_model_writer()
model_writer.pause_model_writer()  # as during a cell: the writer is still starting
model = LogisticRegression().fit([[0.0, 1.0], [1.0, 0.0], [0.0, 2.0], [2.0, 0.0]], [0, 1, 0, 1])
tracker = Tracker(open_store(sys.argv[1]))
run = tracker.start_run(name="fit")
assert tracker.log_model_later(model, "clf", run=run) == ()
tracker.end_run(run)
print(run.run_id, flush=True)
"""


def test_a_kernel_exiting_before_its_writer_is_ready_hands_the_model_over(tmp_path):
    import subprocess

    from nbtrack.store import open_store

    store_dir = tmp_path / "store"
    out = subprocess.run([sys.executable, "-c", EXITS_BEFORE_THE_WRITER_IS_READY,
                          str(store_dir)], capture_output=True, text=True, timeout=120,
                         check=True)
    run_id, verdict = out.stdout.split("\n")[:2]
    # the exiting process never imported skops: the model writer recorded the file
    assert verdict == "skops imported here: False"
    store = open_store(str(store_dir))
    try:
        run = store.get_run(run_id)  # waits for the writer's pending mark
        assert [(a.name, a.kind) for a in run.artifacts] == [("clf", "model")]
        model = run.load_model("clf")
        assert list(model.predict([[0.0, 3.0], [3.0, 0.0]])) == [0, 1]
        assert not list((store_dir / "pending").iterdir())
    finally:
        store.close()


NOTEBOOK_REFIT = """
import sys
from sklearn.model_selection import GridSearchCV
from sklearn.svm import SVC
from nbtrack.model_writer import ModelWriterProcess

def best_by_rank(cv_results):
    return int(cv_results["rank_test_score"].argmin())

search = GridSearchCV(SVC(), {"C": [1, 10]}, cv=2, refit=best_by_rank)
search.fit([[0.0, 1.0], [1.0, 0.0], [0.0, 2.0], [2.0, 0.0]] * 3, [0, 1] * 6)
process = ModelWriterProcess()
snapshot = process.snapshot(search)
print(snapshot.functions)
data, untrusted = process.dump(search)
process.close()
import skops.io as sio
print(untrusted)
loaded = sio.loads(data, trusted=untrusted)
print(loaded.refit is best_by_rank, loaded.predict([[0.0, 3.0], [3.0, 0.0]]).tolist())
direct = sio.dumps(search)
print(sorted(sio.get_untrusted_types(data=direct)) == untrusted)
"""


def test_a_model_holding_a_notebook_function_is_written_by_the_child(tmp_path):
    # as a refit strategy or a scorer typed into the notebook: the child stands in for it
    # by name, and the file is the one skops writes in the kernel
    import subprocess

    out = subprocess.run([sys.executable, "-c", NOTEBOOK_REFIT], capture_output=True,
                         text=True, timeout=120, check=True, cwd=tmp_path)
    functions, untrusted, loaded, same = out.stdout.splitlines()[:4]
    assert functions == "('best_by_rank',)"
    assert "'__main__.best_by_rank'" in untrusted
    assert loaded == "True [0, 1]"
    assert same == "True"


def test_a_model_of_a_notebook_class_is_left_to_the_kernel():
    notebook_class = type("NotebookThing", (), {"__module__": "__main__"})
    sys.modules["__main__"].NotebookThing = notebook_class  # type: ignore[attr-defined]
    try:
        process = ModelWriterProcess()
        try:
            assert process.snapshot({"model": notebook_class()}) is None
        finally:
            process.close()
    finally:
        del sys.modules["__main__"].NotebookThing  # type: ignore[attr-defined]


def _state(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(line.split()[1] for line in status if line.startswith("State:"))


def _paused_starting_child():
    process = ModelWriterProcess()
    process.pause()
    assert _wait_until(lambda: process._paused, 20)  # it said it started, then stopped
    return process


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_hand_off_does_not_wait_for_a_child_too_busy_starting_to_answer(tmp_path, monkeypatch):
    import os
    import signal
    import threading

    # an import that holds the interpreter lock for minutes, as a compiled module's
    # initialisation can for a while: the child's reading thread gets no turn
    busy = tmp_path / "skops"
    busy.mkdir()
    (busy / "__init__.py").write_text("sum(range(10 ** 12))\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    process = ModelWriterProcess()
    pid = process.pid
    try:
        assert _wait_until(lambda: process._pausable, 20)
        taken, lost = threading.Event(), []
        record = {"store": "unused", "run_id": "r", "name": "m", "meta": {}, "marker": "x"}
        assert process.adopt(process.snapshot({"alpha": 0.5}), record, taken,
                             lambda: lost.append(1))
        assert taken.is_set() and process.alive and not lost
    finally:
        os.kill(pid, signal.SIGKILL)
        process.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_child_that_ends_before_reading_a_hand_off_gives_the_job_back():
    import os
    import signal
    import threading

    process = _paused_starting_child()
    taken, lost = threading.Event(), threading.Event()
    record = {"store": "unused", "run_id": "r", "name": "m", "meta": {}, "marker": "x"}
    pid = process.pid
    assert process.adopt(process.snapshot({"alpha": 0.5}), record, taken, lost.set)
    os.kill(pid, signal.SIGKILL)
    assert lost.wait(20) and not taken.is_set()
    process.close()


KILLS_THE_WRITER_AFTER_THE_HAND_OFF = """
import os, signal, sys, time
from sklearn.linear_model import LogisticRegression
from nbtrack import model_writer
from nbtrack.store import open_store
from nbtrack.tracking import Tracker

model_writer.start_model_writer()
model_writer.pause_model_writer()
writer = model_writer.model_writer()
while not writer._paused:
    time.sleep(0.01)
model = LogisticRegression().fit([[0.0, 1.0], [1.0, 0.0], [0.0, 2.0], [2.0, 0.0]], [0, 1, 0, 1])
store = open_store(sys.argv[1])
tracker = Tracker(store)
run = tracker.start_run(name="fit")
tracker.log_model_later(model, "clf", run=run)
tracker.end_run(run)
os.kill(writer.pid, signal.SIGKILL)
found = store.get_run(run.run_id)
print([a.name for a in found.artifacts], found.load_model("clf").predict([[0.0, 3.0]]).tolist())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_model_handed_to_a_writer_that_dies_is_written_by_the_kernel(tmp_path):
    import subprocess

    out = subprocess.run([sys.executable, "-c", KILLS_THE_WRITER_AFTER_THE_HAND_OFF,
                          str(tmp_path / "store")], capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == "['clf'] [0]"
