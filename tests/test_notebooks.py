"""The example notebooks run top to bottom in a real kernel (pytest --nbval-lax)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def _tree(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


@pytest.mark.parametrize("name", ["quickstart.ipynb", "training-loop.ipynb",
                                  "model-lifecycle.ipynb", "monitoring.ipynb"])
def test_example_notebook(name, tmp_path):
    # a copy runs, so that what the notebook writes beside itself (the quickstart exports
    # repro/best.ipynb) lands in the temporary folder, never in the source tree
    work = tmp_path / "notebooks"
    work.mkdir()
    shutil.copy(NOTEBOOKS / name, work / name)
    before = _tree(NOTEBOOKS)
    env = dict(os.environ, NBTRACK_STORE=str(tmp_path / ".nbtrack"))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
         "--nbval-sanitize-with", str(NOTEBOOKS / "nbval-sanitize.cfg"), str(work / name)],
        env=env, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout
    assert (tmp_path / ".nbtrack" / "nbtrack.db").exists(), "the notebook recorded its runs"
    assert _tree(NOTEBOOKS) == before, "running the example wrote into notebooks/"
