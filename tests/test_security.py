"""Artifact names cannot escape their folder; filters are never evaluated."""

from __future__ import annotations

import pytest

from nbtrack.entities import Artifact
from nbtrack.errors import FilterSyntaxError, UnsafeArtifactNameError
from nbtrack.filters import parse_filter
from nbtrack.store.artifacts import check_artifact_name

UNSAFE = [
    "../x", "a/../../x", "..", "./x", "/etc/passwd", "C:\\x", "c:/x", "..\\x", "a\\b",
    "%2e%2e%2fx", "%2E%2E/x", "%252e%252e%252fx", "a/%2e%2e/%2e%2e/x", "a/#/b", "a?b",
    "a//b", "a/", "", "bad\x00name", "line\nbreak", "%2fetc%2fpasswd",
]


@pytest.mark.parametrize("name", UNSAFE)
def test_unsafe_artifact_names_are_refused(name):
    with pytest.raises(UnsafeArtifactNameError, match="refused"):
        check_artifact_name(name)


@pytest.mark.parametrize("name", ["model", "plots/roc.png", "a.b/c-d_e", "données/é.csv",
                                  "..hidden-but-fine", "x..y"])
def test_safe_names_pass(name):
    assert check_artifact_name(name) == name


def test_store_refuses_traversal_and_writes_nothing_outside(tracker, tmp_path):
    canary = tmp_path / "outside.txt"
    with tracker.start_run() as run:
        for name in ("../outside.txt", "%2e%2e/outside.txt", "/tmp/outside.txt"):
            with pytest.raises(UnsafeArtifactNameError):
                tracker.store.add_artifact(run.run_id, Artifact(name, "", 0), data=b"evil")
        with pytest.raises(UnsafeArtifactNameError):
            tracker.log_artifact(__file__, name="../../escape.py")
    assert not canary.exists()
    assert tracker.get_run(run.run_id).artifacts == ()


def test_symlink_out_of_a_logged_folder_is_refused(tracker, tmp_path):
    from nbtrack.errors import InvalidValueError

    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    folder = tmp_path / "logged"
    folder.mkdir()
    (folder / "link.txt").symlink_to(secret)
    with tracker.start_run():
        with pytest.raises(InvalidValueError, match="outside"):
            tracker.log_artifact(folder)


@pytest.mark.parametrize("text", [
    "metrics.acc > 0.9; DROP TABLE runs",
    "__import__('os').system('touch pwned')",
    "params.a = '' OR 1=1 --'",
    "params.a = 'x' UNION SELECT * FROM runs",
    "metrics.acc > (SELECT 1)",
])
def test_injection_attempts_are_parse_errors_and_change_nothing(tracker, text, tmp_path):
    with tracker.start_run(params={"a": "x"}):
        pass
    before = tracker.store.count()
    with pytest.raises(FilterSyntaxError, match="bad filter"):
        tracker.runs(filter=text)
    assert tracker.store.count() == before
    assert not (tmp_path / "pwned").exists()


def test_quotes_inside_values_are_data(tracker):
    with tracker.start_run(params={"a": "it's; DROP TABLE runs"}):
        pass
    assert len(tracker.runs(filter="params.a = \"it's; DROP TABLE runs\"")) == 1
    # as in MLflow, a literal keeps its characters: '' and \" are two characters each
    assert len(tracker.runs(filter="params.a = 'it''s; DROP TABLE runs'")) == 0
    assert tracker.store.count() == 1
    assert parse_filter("params.a = \"x\\\"y\"").value == 'x\\"y'
