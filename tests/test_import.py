"""``import nbtrack`` stays light: no pandas, IPython or store until they are needed."""

from __future__ import annotations

import subprocess
import sys


def test_import_loads_no_heavy_modules(python_env):
    code = ("import sys, nbtrack; heavy = [m for m in ('pandas', 'numpy', 'IPython', 'sqlite3', "
            "'sklearn', 'skops', 'nbtrack.store') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], env=python_env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_help_loads_no_pandas(python_env):
    code = ("import sys; from nbtrack.cli import build_parser; build_parser(); "
            "print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], env=python_env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"


def test_public_names_are_functions():
    import nbtrack

    for name in ("start_run", "log_metric", "runs", "get_run", "log_model"):
        assert callable(getattr(nbtrack, name))
