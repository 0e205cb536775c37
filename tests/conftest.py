"""Shared fixtures: every test gets its own store and working directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from nbtrack.store import open_store
from nbtrack.tracking import Tracker

BACKENDS = ["memory", "sqlite"]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in a temporary folder with NBTRACK_STORE pointing inside it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NBTRACK_STORE", str(tmp_path / ".nbtrack"))
    import nbtrack

    monkeypatch.setattr(nbtrack, "_tracker", None)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path):
    """A fresh store of each backend kind (the contract suite runs against all)."""
    uri = "memory:" if request.param == "memory" else f"sqlite://{tmp_path / 'store'}"
    s = open_store(uri)
    yield s
    s.close()


@pytest.fixture
def tracker(store) -> Tracker:
    """A tracker writing into the parametrised store (no environment capture cost)."""
    return Tracker(store)


@pytest.fixture
def python_env(tmp_path: Path) -> dict[str, str]:
    """Environment for child processes: this interpreter's path and a private store."""
    env = dict(os.environ)
    env["NBTRACK_STORE"] = str(tmp_path / ".nbtrack")
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


@pytest.fixture
def ip():
    """IPython's test shell with nbtrack loaded and a clean namespace."""
    from IPython.testing.globalipapp import get_ipython

    shell = get_ipython()
    shell.run_line_magic("load_ext", "nbtrack")
    shell.reset(new_session=False)
    yield shell
    shell.reset(new_session=False)
