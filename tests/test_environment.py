"""Environment capture: packages from sys.modules, git state read from .git."""

from __future__ import annotations

import json
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


def test_the_module_map_is_read_once_per_set_of_installed_distributions(tmp_path, monkeypatch):
    import numpy

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(environment, "_module_dists", None)
    for name in ("_seen_modules", "_packages", "_versions", "_folder_versions",
                 "_sorted_packages"):
        monkeypatch.setattr(environment, name, type(getattr(environment, name))())
    monkeypatch.setattr(environment, "_seen_count", [0])
    assert environment.imported_packages()["numpy"] == numpy.__version__
    written = list((tmp_path / "cache" / "nbtrack").glob("modules-*.json"))
    assert len(written) == 1 and json.loads(written[0].read_text())["numpy"] == ["numpy"]
    # a later process reads the map instead of every distribution's file list
    written[0].write_text(json.dumps({"numpy": ["numpy"], "json": ["numpy"]}))
    monkeypatch.setattr(environment, "_module_dists", None)
    monkeypatch.setattr(environment, "_seen_modules", set())
    monkeypatch.setattr(environment, "_seen_count", [0])
    assert environment._module_distributions()["json"] == ["numpy"]
