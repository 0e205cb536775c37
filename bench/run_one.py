"""Run one workload for one system in this (fresh) process and print one JSON line.

Usage::

    python bench/run_one.py SYSTEM WORKLOAD [--folder DIR] [--n N]

SYSTEM is ``nbtrack`` or ``mlflow``; WORKLOAD a key of ``workloads.WORKLOADS``.
Without ``--folder`` the store lives in a temporary folder removed at the end;
with it, the store is kept there (how the 1,000,000-run store is built once and
searched from later processes). The working directory is the scratch folder, so
nothing a system writes next to itself lands in the repository.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workloads import WORKLOADS

ADAPTERS = {"nbtrack": ("adapter_nbtrack", "NbtrackAdapter"),
            "mlflow": ("adapter_mlflow", "MlflowAdapter")}


def make_adapter(system: str, folder: Path) -> Any:
    """Import only the asked system's adapter (the other system is never imported)."""
    module, cls = ADAPTERS[system]
    return getattr(importlib.import_module(module), cls)(folder)


def run(system: str, workload: str, folder: Path, n: int | None) -> dict[str, Any]:
    """Run ``workload`` with ``system``'s store in ``folder``; return the JSON record."""
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    os.chdir(folder)
    adapter = make_adapter(system, folder)
    kwargs = {"n": n} if n is not None else {}
    result = WORKLOADS[workload](adapter, **kwargs)
    return {"system": system, "workload": workload, "version": adapter.version(),
            "before_bytes": before, **result}


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, run, print the record as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("system", choices=sorted(ADAPTERS))
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("--folder", type=Path, help="keep the store in this folder")
    parser.add_argument("--n", type=int, help="size of the workload (runs or calls)")
    args = parser.parse_args(argv)
    if args.folder is not None:
        args.folder.mkdir(parents=True, exist_ok=True)
        record = run(args.system, args.workload, args.folder.resolve(), args.n)
    else:
        with tempfile.TemporaryDirectory(prefix="nbtrack-bench-") as scratch:
            record = run(args.system, args.workload, Path(scratch), args.n)
            os.chdir(tempfile.gettempdir())
    print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
