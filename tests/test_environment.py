"""Environment capture: packages from sys.modules, git state read from .git."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from nbtrack import environment


def test_imported_packages_include_loaded_distributions():
    import numpy  # noqa: F401

    packages = environment.imported_packages()
    assert packages["numpy"] == numpy.__version__


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_commit_branch_and_dirty_flag(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "t")
    (repo / "a.py").write_text("x = 1\n")
    git("add", "a.py")
    git("commit", "-qm", "first")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                          text=True).stdout.strip()
    monkeypatch.setattr(environment, "_git_cache", {})
    state = environment.git_state(repo)
    assert state == {"commit": head, "branch": "main", "dirty": False, "root": str(repo)}
    (repo / "a.py").write_text("x = 2\n")
    monkeypatch.setattr(environment, "_git_cache", {})
    assert environment.git_state(repo)["dirty"] is True
    git("pack-refs", "--all")
    monkeypatch.setattr(environment, "_git_cache", {})
    assert environment.git_state(repo)["commit"] == head


def test_no_git_outside_a_repository(tmp_path, monkeypatch):
    monkeypatch.setattr(environment, "_git_cache", {})
    assert environment.git_state(tmp_path) is None


def test_capture_environment_has_python_and_platform():
    import platform

    import numpy

    env = environment.capture_environment()
    assert env["python"] == platform.python_version()
    assert env["platform"] == platform.platform()
    assert env["packages"]["numpy"] == numpy.__version__
