"""Run every workload for nbtrack and MLflow in fresh processes and print the ratio table.

Usage (from the repository root): ``make bench`` or ``bash bench/run.sh [--repeats N]
[--only a,b] [--quick] [--markdown FILE]``. Ratios are MLflow time / nbtrack time on
medians across processes; absolute times on a shared machine are noise.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: (label, workload, field, target ratio, absolute limit for nbtrack in seconds)
ROWS = [
    ("import (in-process)", "import", "seconds", 40, 0.060),
    ("log_metric, per call (2,000 calls)", "log_metric", "per_call", 1000, None),
    ("1,000 runs x (10 params + 5 metrics)", "many_runs", "total", 100, None),
    ("filtered + sorted search, 1,000 runs, first call", "search", "filtered_cold", 100, None),
    ("filtered + sorted search, 1,000 runs, repeated", "search", "filtered_warm", 100, None),
    ("full listing, 1,000 runs, first call", "search", "full_cold", 100, None),
    ("full listing, 1,000 runs, repeated", "search", "full_warm", 100, None),
    ("log_model LogisticRegression, first call", "log_model", "first", 100, None),
    ("log_model LogisticRegression, later calls", "log_model", "later", 100, None),
]


def run_one(system: str, workload: str) -> dict:
    out = subprocess.run([sys.executable, str(HERE / "one.py"), system, workload],
                         capture_output=True, text=True, cwd=HERE, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{system} {workload} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def time_import(module: str) -> dict:
    code = ("import time; t = time.perf_counter(); import " + module +
            "; print(time.perf_counter() - t)")
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true"))
    wall = time.perf_counter() - t
    return {"seconds": float(out.stdout.strip()), "process": wall}


def median_of(results: list[dict], field: str) -> float:
    return statistics.median(r[field] for r in results)


def fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per system")
    parser.add_argument("--only", help="comma-separated workloads: import, log_metric, "
                        "many_runs, search, log_model, million")
    parser.add_argument("--quick", action="store_true", help="one process each")
    parser.add_argument("--markdown", help="also write the table to this file")
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    wanted = set(args.only.split(",")) if args.only else None
    results: dict[tuple[str, str], list[dict]] = {}
    for workload in ("import", "log_metric", "many_runs", "search", "log_model"):
        if wanted and workload not in wanted:
            continue
        for system in ("nbtrack", "mlflow"):
            n = 5 if workload == "import" else repeats
            print(f"  {workload:<10} {system:<8} x{n}", file=sys.stderr, flush=True)
            results[(workload, system)] = [
                time_import(system) if workload == "import" else run_one(system, workload)
                for _ in range(n)]
    import mlflow  # noqa: F401  (for the version line only)

    import nbtrack

    lines = [f"nbtrack {nbtrack.__version__} vs MLflow {sys.modules['mlflow'].__version__}, "
             f"Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}; medians of "
             f"{repeats} fresh processes per system (import: 5)", "",
             "| workload | nbtrack | MLflow | ratio | target | met |", "|---|---:|---:|---:|---:|:-:|"]
    for label, workload, field, target, limit in ROWS:
        if (workload, "nbtrack") not in results:
            continue
        ours = median_of(results[(workload, "nbtrack")], field)
        theirs = median_of(results[(workload, "mlflow")], field)
        ratio = theirs / ours
        met = ratio >= target and (limit is None or ours <= limit)
        goal = f"≥ {target}×" + (f", ≤ {fmt(limit)}" if limit else "")
        lines.append(f"| {label} | {fmt(ours)} | {fmt(theirs)} | {ratio:,.0f}× | {goal} | "
                     f"{'yes' if met else 'no'} |")
    if ("search", "nbtrack") in results:
        rows = results[("search", "nbtrack")][0]["rows"], results[("search", "mlflow")][0]["rows"]
        lines.append(f"\nfiltered search returned {rows[0]} rows (nbtrack) and {rows[1]} (MLflow)")
    if wanted is None or "million" in wanted:
        print("  million    nbtrack x1", file=sys.stderr, flush=True)
        big = run_one("nbtrack", "million")
        lines.append(f"\n1,000,000 runs (nbtrack only): built with the bulk path in "
                     f"{big['build']:.0f} s, store {big['size_mb']:.0f} MB; filtered + sorted "
                     f"search (`metrics.acc > 0.999 and params.model = 'rf'`, top 100 by acc): "
                     f"first {fmt(big['search_first'])}, then {fmt(big['search'])} "
                     f"({big['rows']} rows; target ≤ 100 ms: "
                     f"{'met' if big['search'] <= 0.1 else 'missed'})")
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        Path(args.markdown).write_text(table + "\n")


if __name__ == "__main__":
    main()
