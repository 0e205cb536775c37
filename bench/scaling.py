"""How nbtrack's costs grow with the work, and the memory it takes, next to MLflow.

Usage (``bash bench/run.sh scale [--repeats N] [--sizes 1000,10000,100000]``):

- many runs through the ordinary API (start, 10 params, 5 metrics, end) at each
  size, nbtrack's per-run time after the first run, and the largest size's
  per-run time over the smallest's (target: ≤ 1.5, flat); MLflow at the smallest
  size only (100,000 MLflow runs take hours here);
- the full listing of 100,000 runs to a DataFrame (target: ≤ 150 ms), the store
  written through the bulk path first;
- peak resident memory of a fresh process that imports the system and records one
  run (target for nbtrack: ≤ 40 MB), with the interpreter's own figure beside it.

Every figure comes from fresh processes (``run_one.py``); medians over ``--repeats``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from typing import Any

from compare import fmt, progress, run_workload

MIB = 2 ** 20


def _median(records: list[dict[str, Any]], field: str) -> float | None:
    values = [r[field] for r in records if field in r]
    return statistics.median(values) if values else None


def _runs(system: str, workload: str, repeats: int, n: int | None = None) -> list[dict[str, Any]]:
    records = []
    for i in range(repeats):
        progress(f"{workload} {system}{f' n={n:,}' if n else ''}: process {i + 1}/{repeats}")
        record = run_workload(system, workload, n=n)
        if "error" in record:
            progress(f"  failed: {record['error'].splitlines()[-1:]}")
        records.append(record)
    return records


def main(argv: list[str] | None = None) -> int:
    """Run the scaling and memory workloads and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--listing", type=int, default=100_000, help="runs to list")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    lines = ["| workload | nbtrack | MLflow | target | result |", "|---|---:|---:|---|:-:|"]
    per_run = {}
    for n in sizes:
        ours = _median(_runs("nbtrack", "many_runs", args.repeats, n), "later_per_run")
        per_run[n] = ours
        theirs = None
        if n == sizes[0]:
            theirs = _median(_runs("mlflow", "many_runs", args.repeats, n), "later_per_run")
        lines.append(f"| {n:,} runs: per run after the first | {fmt(ours)} | {fmt(theirs)} "
                     "| | |")
    small, large = per_run[sizes[0]], per_run[sizes[-1]]
    if small and large:
        growth = large / small
        lines.append(f"| per-run time at {sizes[-1]:,} / at {sizes[0]:,} runs | {growth:.2f}× "
                     f"| | ≤ 1.5× | {'PASS' if growth <= 1.5 else '**MISS**'} |")
    listing = _runs("nbtrack", "listing_big", args.repeats, args.listing)
    for field, label in (("cold", "first in process"), ("warm", "repeated")):
        ours = _median(listing, field)
        verdict = "PASS" if ours is not None and ours <= 0.150 else "**MISS**"
        lines.append(f"| full listing of {args.listing:,} runs → DataFrame, {label} "
                     f"| {fmt(ours)} | | ≤ 150 ms | {verdict} |")
    memory = {s: _runs(s, "memory", args.repeats) for s in ("nbtrack", "mlflow")}
    peak = {s: _median(memory[s], "peak_bytes") for s in memory}
    base = _median(memory["nbtrack"], "before_bytes")
    ours, theirs = peak["nbtrack"], peak["mlflow"]
    verdict = "PASS" if ours is not None and ours <= 40 * MIB else "**MISS**"
    lines.append(f"| peak RSS: import + one run (interpreter and harness: "
                 f"{(base or 0) / MIB:.1f} MB) | {(ours or 0) / MIB:.1f} MB "
                 f"| {(theirs or 0) / MIB:.1f} MB | ≤ 40 MB | {verdict} |")
    print("\n".join(lines))
    failed = any("error" in r for rs in memory.values() for r in rs) or \
        any("error" in r for r in listing)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
