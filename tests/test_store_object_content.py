"""Artifacts on an fsspec URL: a real S3-compatible server, file:// and memory://."""

from __future__ import annotations

import time

import pytest
import s3fs
from sklearn.linear_model import LogisticRegression

from nbtrack.entities import Artifact, RunStatus
from nbtrack.errors import ArtifactCorruptError, InvalidValueError, UnsafeArtifactNameError
from nbtrack.ids import new_run_id
from nbtrack.store import open_store
from nbtrack.store.object_content import check_location, content_at
from nbtrack.tracking import Tracker

from s3_server import SECRET_KEY


@pytest.fixture(params=["sqlite", "postgres"])
def store_on(request: pytest.FixtureRequest, tmp_path):
    """``store_on(artifacts)``: a fresh store of each backend writing artifacts there."""
    uri = (f"sqlite://{tmp_path / 'store'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_uri"))
    opened = []

    def make(artifacts: str | None):
        store = open_store(uri, artifacts=artifacts)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def _run(store) -> str:
    from nbtrack.entities import Run

    run = Run(new_run_id(), experiment="exp", start_time=time.time())
    store.create_run(run, {"source": "x = 1"}, None)
    return run.run_id


def _objects(bucket_url: str) -> dict[str, bytes]:
    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    root = bucket_url.removeprefix("s3://")
    return {key: fs.cat_file(key) for key in fs.find(root)}


def test_artifacts_round_trip_through_the_s3_server(store_on, s3_bucket, tmp_path):
    location = f"{s3_bucket}/team/artifacts"
    store = store_on(location)
    run_id = _run(store)
    source = tmp_path / "notes.txt"
    source.write_bytes(b"hello from s3")
    a = store.add_artifact(run_id, Artifact("notes.txt", "", 0), source_path=str(source))
    b = store.add_artifact(run_id, Artifact("plots/raw.bin", "", 0), data=bytes(range(256)))
    store.end_run(run_id, RunStatus.FINISHED, time.time())

    objects = _objects(s3_bucket)
    prefix = location.removeprefix("s3://")
    assert objects == {f"{prefix}/{a.sha256[:2]}/{a.sha256[2:]}": b"hello from s3",
                       f"{prefix}/{b.sha256[:2]}/{b.sha256[2:]}": bytes(range(256))}
    assert store.read_artifact(run_id, "notes.txt") == b"hello from s3"
    assert store.read_artifact(run_id, "plots/raw.bin") == bytes(range(256))
    assert {x.meta["location"] for x in store.get_run(run_id).artifacts} == {location}
    assert store.fsck() == []


def test_a_model_saved_to_s3_loads_in_a_store_opened_without_the_setting(
        store_on, s3_bucket, monkeypatch):
    location = f"{s3_bucket}/models"
    tracker = Tracker(store_on(location))
    with tracker.start_run(experiment="s3") as run:
        model = LogisticRegression(max_iter=200).fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
        tracker.log_model(model, "model", run=run)
    monkeypatch.delenv("NBTRACK_ARTIFACTS", raising=False)
    later = store_on(None)
    loaded = later.get_run(run.run_id).load_model("model")
    assert loaded.predict([[0.2], [2.8]]).tolist() == [0, 1]
    # written where it said, and a new artifact of the later store stays in the store
    assert any(key.startswith(location.removeprefix("s3://") + "/") for key in
               _objects(s3_bucket))
    other = _run(later)
    later.add_artifact(other, Artifact("local.txt", "", 0), data=b"local")
    assert [dict(a.meta) for a in later.get_run(other).artifacts] == [{}]


def test_a_tampered_object_is_refused_on_read_and_by_fsck(store_on, s3_bucket):
    store = store_on(f"{s3_bucket}/a")
    run_id = _run(store)
    artifact = store.add_artifact(run_id, Artifact("weights.bin", "", 0), data=b"\x00" * 64)
    key = f"{s3_bucket.removeprefix('s3://')}/a/{artifact.sha256[:2]}/{artifact.sha256[2:]}"
    s3fs.S3FileSystem(skip_instance_cache=True).pipe_file(key, b"\x01" * 64)
    with pytest.raises(ArtifactCorruptError, match="fsck"):
        store.read_artifact(run_id, "weights.bin")
    problems = store.fsck()
    assert len(problems) == 1 and "weights.bin" in problems[0] and run_id in problems[0]


def test_names_that_walk_out_are_refused_and_nothing_is_uploaded(store_on, s3_bucket):
    store = store_on(f"{s3_bucket}/p")
    run_id = _run(store)
    for name in ("../outside.txt", "a/../../b", "%2e%2e/x", "/etc/passwd"):
        with pytest.raises(UnsafeArtifactNameError):
            store.add_artifact(run_id, Artifact(name, "", 0), data=b"evil")
    assert _objects(s3_bucket) == {}


def test_credentials_are_taken_from_the_environment_and_never_recorded(
        store_on, s3_bucket, tmp_path):
    store = store_on(f"{s3_bucket}/c")
    run_id = _run(store)
    store.add_artifact(run_id, Artifact("x.txt", "", 0), data=b"x")
    store.end_run(run_id, RunStatus.FINISHED, time.time())
    record = store.get_run(run_id).artifacts[0]
    assert dict(record.meta) == {"location": f"{s3_bucket}/c"}
    if store.folder is not None:
        store.close()
        database = b"".join(p.read_bytes() for p in store.folder.glob("nbtrack.db*"))
        assert SECRET_KEY.encode() not in database


@pytest.mark.parametrize("url, reason", [
    ("s3://AKIAXXXX:secret@bucket/prefix", "credentials"),
    ("bucket/prefix", "not a URL"),
    ("s3://bucket/prefix?endpoint=x", "query"),
    ("s3://", "names no bucket"),
])
def test_bad_artifact_locations_get_a_one_line_error(url, reason):
    with pytest.raises(InvalidValueError, match=reason) as info:
        check_location(url)
    assert "\n" not in str(info.value)


def test_a_bad_location_in_the_environment_is_refused_when_the_store_opens(
        tmp_path, monkeypatch):
    monkeypatch.setenv("NBTRACK_ARTIFACTS", "s3://key:secret@bucket")
    with pytest.raises(InvalidValueError, match="credentials"):
        open_store(str(tmp_path / "s"))


@pytest.mark.parametrize("kind", ["file", "memory"])
def test_other_fsspec_urls_hold_artifacts_too(kind, tmp_path):
    location = (f"file://{tmp_path / 'blobs'}" if kind == "file"
                else f"memory://nbtrack-{new_run_id()}")
    store = open_store(str(tmp_path / "store"), artifacts=location)
    run_id = _run(store)
    artifact = store.add_artifact(run_id, Artifact("a.txt", "", 0), data=b"abc")
    assert store.read_artifact(run_id, "a.txt") == b"abc"
    assert list(content_at(location).stored()) == [artifact.sha256]
    if kind == "file":
        assert (tmp_path / "blobs" / artifact.sha256[:2] / artifact.sha256[2:]).read_bytes() \
            == b"abc"
        assert not list((tmp_path / "blobs").rglob("*.tmp-*"))
    store.close()


def test_gc_deletes_only_unreferenced_objects(store_on, s3_bucket):
    location = f"{s3_bucket}/g"
    store = store_on(location)
    run_id = _run(store)
    kept = store.add_artifact(run_id, Artifact("kept", "", 0), data=b"kept")
    orphan, _ = content_at(location).put_bytes(b"orphan")
    expected = [f"{location}/{orphan[:2]}/{orphan[2:]}"]
    assert store.gc(dry_run=True, min_age=3600) == []
    assert store.gc(dry_run=True, min_age=0) == expected
    assert store.gc(dry_run=False, min_age=0) == expected
    assert store.gc(dry_run=True, min_age=0) == []
    assert list(content_at(location).stored()) == [kept.sha256]
    assert store.read_artifact(run_id, "kept") == b"kept"
