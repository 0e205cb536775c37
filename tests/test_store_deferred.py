"""Artifacts written after their run ended: reads wait for them, failures lose nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

from nbtrack.entities import Artifact, RunStatus
from nbtrack.store import open_store
from test_store_contract import make_run


def test_reading_a_run_waits_for_its_artifact_still_being_written(store):
    run_id = make_run(store)
    release = threading.Event()

    def produce():
        release.wait(5)
        return b"weights", {"format": "raw"}

    store.add_artifact_later(run_id, Artifact("model", "", 0, "model", {"signature": {"n": 4}}),
                             produce, failed=lambda exc: None)
    assert store.deferred.pending(run_id)
    assert store.get_run(run_id, wait=False).artifacts == ()
    threading.Timer(0.2, release.set).start()
    (artifact,) = store.get_run(run_id).artifacts
    assert artifact.kind == "model" and artifact.meta == {"signature": {"n": 4}, "format": "raw"}
    assert store.read_artifact(run_id, "model") == b"weights"
    assert not store.deferred.pending(run_id)
    assert store.get_run(run_id).status is RunStatus.FINISHED


def test_an_artifact_that_cannot_be_made_is_reported_and_the_run_is_untouched(store):
    run_id = make_run(store, params={"C": 0.5}, metrics={"acc": 0.9})
    failures = []

    def produce():
        raise ValueError("cannot represent complex")

    store.add_artifact_later(run_id, Artifact("model", "", 0, "model"), produce,
                             failed=failures.append)
    run = store.get_run(run_id)
    assert [str(e) for e in failures] == ["cannot represent complex"]
    assert run.artifacts == () and run.params == {"C": 0.5} and run.metrics == {"acc": 0.9}


def test_a_process_that_exits_finishes_its_pending_artifacts_first(tmp_path):
    folder = tmp_path / "store"
    script = textwrap.dedent(f"""
        import time
        from nbtrack.entities import Artifact, Run
        from nbtrack.store import open_store

        store = open_store({str(folder)!r})
        store.create_run(Run("r-1", experiment="e", start_time=time.time()))
        store.end_run("r-1", __import__("nbtrack").entities.RunStatus.FINISHED, time.time())

        def produce():
            time.sleep(0.5)
            return b"late bytes", {{}}

        store.add_artifact_later("r-1", Artifact("model", "", 0, "model"), produce, print)
        # no close, no wait: the interpreter's exit must not drop the artifact
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    with open_store(str(folder), create=False) as store:
        assert store.read_artifact("r-1", "model") == b"late bytes"
