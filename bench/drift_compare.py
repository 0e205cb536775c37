"""``nbtrack.drift`` next to Evidently's data-drift preset on 1,000,000 rows × 60 columns.

Run with any Python 3 (``bash bench/run.sh drift``, or ``python3 bench/drift_compare.py
[--repeats 3] [--rows 1000000] [--markdown FILE]``). Each measurement is a fresh
process: nbtrack's in the project's venv (``.venv``), Evidently's in the peer venv
(``bench/.venv``, which holds the Evidently that ``bench/mlflow-requirements.txt``
pins), interleaved (nbtrack, Evidently, nbtrack, ...), the median of ``--repeats``.

Every child builds the same frames from the same seed: reference and current of
``--rows`` rows each, 50 float columns (the first 10 shifted by 0.5 std in the current
table, two others with 5 % missing values) and 10 categorical columns of 8 levels held
as Python strings in object columns (the first 2 with other shares in the current
table). It then imports its library and runs the call once untimed on the first 2,000
rows (modules imported on first use; reported together as "import and a first call"),
and measures one call: nbtrack
``nbtrack.drift(reference, current, record=False)``; Evidently ``Dataset.from_pandas``
of both frames (with a ``DataDefinition`` naming the 50 numerical and 10 categorical
columns, as nbtrack finds them) and ``Report([DataDriftPreset()]).run`` with its
defaults, then the snapshot's ``dict()``. Reported per side: the call's wall time; its
peak memory, the process's peak resident set during the call minus its resident set
just before (the peak is reset first through ``/proc/self/clear_refs``, so the frames
and the imported modules are not counted); and the process's overall peak resident set
(frames included). Linux only.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PYTHONS = {"nbtrack": HERE.parent / ".venv/bin/python", "evidently": HERE / ".venv/bin/python"}
NUMERIC, CATEGORICAL, LEVELS = 50, 10, 8
SHIFTED_NUMERIC, SHIFTED_CATEGORICAL, WITH_MISSING = 10, 2, (10, 11)
WARM_UP_ROWS = 2000


def frames(rows: int, seed: int = 0) -> tuple[Any, Any]:
    """The reference and current tables, the same in every process for a seed."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    levels = np.array([f"level_{i}" for i in range(LEVELS)], dtype=object)
    moved = np.array([0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05])

    def table(current: bool) -> Any:
        columns = {}
        for i in range(NUMERIC):
            values = rng.normal(0.5 if current and i < SHIFTED_NUMERIC else 0.0, 1.0, rows)
            if i in WITH_MISSING:
                values[rng.random(rows) < 0.05] = np.nan
            columns[f"num_{i:02d}"] = values
        for i in range(CATEGORICAL):
            shares = moved if current and i < SHIFTED_CATEGORICAL else None
            columns[f"cat_{i}"] = pd.Series(levels[rng.choice(LEVELS, rows, p=shares)],
                                            dtype=object)
        return pd.DataFrame(columns)

    return table(False), table(True)


def _memory_kib() -> dict[str, int]:
    """The process's resident set now and its peak since the last reset, in KiB."""
    found = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
    return found


def _reset_peak() -> int:
    """Reset the peak resident set to the current one; return that, in KiB."""
    gc.collect()
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    return _memory_kib()["VmRSS"]


def _run_nbtrack(reference: Any, current: Any) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    import nbtrack

    # once on a few rows: the modules the call imports on first use, the tracker
    nbtrack.drift(reference.head(WARM_UP_ROWS), current.head(WARM_UP_ROWS), record=False)
    imported = time.perf_counter() - started
    before = _reset_peak()
    started = time.perf_counter()
    report = nbtrack.drift(reference, current, record=False)
    seconds = time.perf_counter() - started
    return imported, {"seconds": seconds, "before": before,
                      "drifted": len(report.drifted), "detected": report.drift_detected}


def _run_evidently(reference: Any, current: Any) -> tuple[float, dict[str, Any]]:
    import warnings

    started = time.perf_counter()
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    warnings.simplefilter("ignore")
    definition = DataDefinition(
        numerical_columns=[c for c in reference if c.startswith("num_")],
        categorical_columns=[c for c in reference if c.startswith("cat_")])

    def run(reference: Any, current: Any) -> dict[str, Any]:
        snapshot = Report([DataDriftPreset()]).run(
            Dataset.from_pandas(current, data_definition=definition),
            Dataset.from_pandas(reference, data_definition=definition))
        return dict(snapshot.dict())

    run(reference.head(WARM_UP_ROWS), current.head(WARM_UP_ROWS))  # as nbtrack's
    imported = time.perf_counter() - started
    before = _reset_peak()
    started = time.perf_counter()
    answer = run(reference, current)
    seconds = time.perf_counter() - started
    counted = answer["metrics"][0]["value"]
    return imported, {"seconds": seconds, "before": before, "drifted": int(counted["count"]),
                      "detected": counted["share"] >= 0.5}


def child(system: str, rows: int) -> None:
    """One measurement in this process: one JSON line on stdout."""
    import resource

    reference, current = frames(rows)
    run = _run_nbtrack if system == "nbtrack" else _run_evidently
    imported, result = run(reference, current)
    peak = _memory_kib()["VmHWM"]
    overall = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"system": system, "import_s": imported, "seconds": result["seconds"],
                      "peak_mib": (peak - result["before"]) / 1024,
                      "process_peak_mib": overall / 1024, "drifted": result["drifted"],
                      "detected": result["detected"]}))


def _measure(system: str, rows: int, folder: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["DO_NOT_TRACK"] = "1"
    done = subprocess.run([str(PYTHONS[system]), str(Path(__file__).resolve()), "--child",
                           system, "--rows", str(rows)], capture_output=True, text=True,
                          cwd=folder, env=env, check=False)
    if done.returncode != 0:
        sys.exit(f"{system} child failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _table(results: dict[str, list[dict[str, Any]]], rows: int, repeats: int) -> str:
    def median(system: str, key: str) -> float:
        return statistics.median(r[key] for r in results[system])

    ours, theirs = "nbtrack", "evidently"
    speed = median(theirs, "seconds") / median(ours, "seconds")
    memory = median(ours, "peak_mib") / median(theirs, "peak_mib")
    lines = [
        f"{rows:,} rows × {NUMERIC + CATEGORICAL} columns, reference and current; median of "
        f"{repeats} fresh processes per side, interleaved",
        "",
        "| | nbtrack | Evidently | ratio | target | met |",
        "|---|---:|---:|---:|---|:-:|",
        f"| drift call, wall | {median(ours, 'seconds'):.2f} s | "
        f"{median(theirs, 'seconds'):.2f} s | {speed:.1f}× faster | ≥ 10× | "
        f"{'yes' if speed >= 10 else '**no**'} |",
        f"| peak memory of the call | {median(ours, 'peak_mib'):,.0f} MiB | "
        f"{median(theirs, 'peak_mib'):,.0f} MiB | {memory:.2f} of Evidently's | "
        f"≤ Evidently's | {'yes' if memory <= 1 else '**no**'} |",
        f"| process peak (frames included) | {median(ours, 'process_peak_mib'):,.0f} MiB | "
        f"{median(theirs, 'process_peak_mib'):,.0f} MiB | | | |",
        f"| import and a first call on {WARM_UP_ROWS:,} rows | {median(ours, 'import_s'):.2f} s "
        f"| {median(theirs, 'import_s'):.2f} s | | | |",
        f"| columns drifted (data set) | {results[ours][0]['drifted']} "
        f"({results[ours][0]['detected']}) | {results[theirs][0]['drifted']} "
        f"({results[theirs][0]['detected']}) | | | |",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--child", choices=sorted(PYTHONS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows)
        return
    missing = [str(p) for p in PYTHONS.values() if not p.exists()]
    if missing:
        sys.exit(f"missing {', '.join(missing)}: `make` creates .venv, `bash bench/run.sh` "
                 "bench/.venv")
    results: dict[str, list[dict[str, Any]]] = {"nbtrack": [], "evidently": []}
    with tempfile.TemporaryDirectory() as folder:
        for repeat in range(args.repeats):
            for system in results:
                result = _measure(system, args.rows, folder)
                results[system].append(result)
                print(f"[{repeat + 1}/{args.repeats}] {system}: {result['seconds']:.2f} s, "
                      f"{result['peak_mib']:,.0f} MiB", file=sys.stderr, flush=True)
    table = _table(results, args.rows, args.repeats)
    print(table)
    if args.markdown:
        Path(args.markdown).write_text(table + "\n")


if __name__ == "__main__":
    main()
