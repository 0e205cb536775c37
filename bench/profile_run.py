"""Profile the timed sections of one workload (cProfile), to see where a missed target goes.

Usage::

    python bench/profile_run.py WORKLOAD [--system nbtrack] [--n N] [--folder DIR]
                                [--sort tottime|cumulative] [--top 25] [--filter nbtrack]

Only what a workload times is profiled (its set-up is not), so the numbers are
those of the table's row, slowed down by the profiler. ``--filter`` keeps the
lines whose file path contains that text (e.g. ``nbtrack`` for the package's own
functions).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workloads
from run_one import make_adapter


def main(argv: list[str] | None = None) -> None:
    """Run the workload with the profiler on inside its timed sections; print the stats."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workload", choices=sorted(workloads.WORKLOADS))
    parser.add_argument("--system", default="nbtrack", choices=("nbtrack", "mlflow"))
    parser.add_argument("--n", type=int, help="size of the workload (runs or calls)")
    parser.add_argument("--folder", type=Path, help="an existing or kept store folder")
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--filter", default="", help="only functions whose file contains this")
    args = parser.parse_args(argv)
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    profiler = cProfile.Profile()
    workloads.Stopwatch.profiler = profiler
    with tempfile.TemporaryDirectory(prefix="nbtrack-profile-") as scratch:
        folder = args.folder.resolve() if args.folder else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        os.chdir(folder)
        adapter = make_adapter(args.system, folder)
        kwargs = {"n": args.n} if args.n is not None else {}
        result = workloads.WORKLOADS[args.workload](adapter, **kwargs)
        os.chdir(tempfile.gettempdir())
    print({k: round(v, 6) if isinstance(v, float) else v for k, v in result.items()})
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats(args.sort)
    stats.print_stats(args.filter, args.top) if args.filter else stats.print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
