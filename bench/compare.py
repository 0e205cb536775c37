"""nbtrack next to MLflow: every workload in fresh processes, then a ratio table.

Usage (with a Python that has both packages; ``bash bench/run.sh`` makes one)::

    python bench/compare.py [--repeats N] [--quick] [--only a,b] [--markdown FILE] [--postgres]

Each workload runs in ``--repeats`` fresh processes per system (``run_one.py``,
one JSON line each), the systems taking turns. The ratio is MLflow's median
time / nbtrack's median time. Absolute times on a shared machine are noise; the
ratios are the result. Workload names for ``--only``: import, log_metric,
many_runs, search, log_model, million.

With ``--postgres`` both systems use a PostgreSQL server this script starts (a
throwaway cluster on a loopback port, as the tests start theirs): every measured
process gets a new empty database, nbtrack as ``postgresql://...`` and MLflow
through its SQLAlchemy store as ``postgresql+psycopg://...`` on the same server.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SYSTEMS = ("nbtrack", "mlflow")
WORKLOAD_NAMES = ("import", "log_metric", "many_runs", "search", "log_model", "million")
IMPORT_PROCESSES = 5
TIMEOUT = 1800  # seconds for one process

Results = dict[tuple[str, str], list[dict[str, Any]]]
"""(workload, system) -> one record per process."""

#: The PostgreSQL server of a ``--postgres`` run (None: each system's embedded store).
SERVER: Any = None


@dataclass(frozen=True)
class Row:
    """One line of the table.

    Parameters
    ----------
    label : str
        What the line measures.
    workload, field : str
        Where the number comes from in the records.
    target : float or None
        Least ratio MLflow / nbtrack that passes (None: no ratio target).
    limit : float or None
        Most seconds nbtrack may take (None: no absolute target).
    """

    label: str
    workload: str
    field: str
    target: float | None = None
    limit: float | None = None

    @property
    def has_target(self) -> bool:
        """Whether the row is judged PASS/MISS (else it is information only)."""
        return self.target is not None or self.limit is not None


ROWS = [
    Row("`import` (wall time of `python -c \"import X\"`)", "import", "wall", 40, 0.060),
    Row("log_metric, per call (2,000 calls, end-of-run flush included)", "log_metric",
        "per_call", 1000),
    Row("  ↳ per call, the calls alone", "log_metric", "per_call_calls_only"),
    Row("  ↳ end of run (nbtrack: flush of the 2,000 points)", "log_metric", "end_run"),
    Row("200 runs × (10 params + 5 metrics), the process's first run and the store's "
        "creation included", "many_runs", "total", 100),
    Row("  ↳ the first run (store creation, first environment capture)", "many_runs",
        "first_run"),
    Row("  ↳ per run after the first", "many_runs", "later_per_run"),
    Row("filtered + sorted search, 1,000 runs → DataFrame, cold", "search", "filtered_cold", 100),
    Row("filtered + sorted search, 1,000 runs → DataFrame, warm", "search", "filtered_warm", 100),
    Row("  ↳ warm, another threshold each call", "search", "filtered_new"),
    Row("full listing, 1,000 runs → DataFrame, cold", "search", "full_cold", 100),
    Row("full listing, 1,000 runs → DataFrame, warm", "search", "full_warm", 100),
    Row("run with log_model (LogisticRegression, iris), first in process", "log_model",
        "first", 100),
    Row("run with log_model (LogisticRegression, iris), later", "log_model", "later", 100),
    Row("{big} runs: filtered + sorted search, top 100 → DataFrame, cold",
        "million_search", "cold", None, 0.100),
    Row("{big} runs: same search, warm", "million_search", "warm", None, 0.100),
    Row("  ↳ warm, another threshold each call", "million_search", "new"),
]


# ------------------------------------------------------------------ processes
def child_env(folder: str) -> dict[str, str]:
    """Environment of a measured process: telemetry off, no inherited store, and Python's
    bytecode cache on as on a user's machine (an inherited PYTHONDONTWRITEBYTECODE would
    make every fresh process compile both systems' modules from source)."""
    env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true",
               NBTRACK_STORE=os.path.join(folder, ".nbtrack"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_workload(system: str, workload: str, folder: str | None = None,
                 n: int | None = None, database: str | None = None) -> dict[str, Any]:
    """One fresh process running ``run_one.py``; its JSON record (or an ``error`` one).

    With a PostgreSQL server, the process gets ``database`` (kept) or a new one (dropped
    after it)."""
    command = [sys.executable, str(HERE / "run_one.py"), system, workload]
    if folder is not None:
        command += ["--folder", folder]
    if n is not None:
        command += ["--n", str(n)]
    own = SERVER is not None and database is None
    if own:
        database = SERVER.new_database(schema=False)
    with tempfile.TemporaryDirectory(prefix="nbtrack-bench-") as scratch:
        env = child_env(scratch)
        if database is not None:
            env["BENCH_STORE_URI"] = database
        try:
            out = subprocess.run(command, capture_output=True, text=True, cwd=scratch,
                                 env=env, timeout=TIMEOUT, check=False)
        finally:
            if own:
                SERVER.drop_database(database)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        return {"system": system, "workload": workload,
                "error": (out.stderr or out.stdout).strip()[-2000:]}
    return json.loads(lines[-1])


def time_import(system: str) -> dict[str, Any]:
    """Wall time of a fresh ``python -c "import <system>"``, as a user's shell sees it."""
    with tempfile.TemporaryDirectory(prefix="nbtrack-bench-") as scratch:
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", f"import {system}"], cwd=scratch,
                             env=child_env(scratch), capture_output=True, text=True,
                             timeout=TIMEOUT, check=False)
        wall = time.perf_counter() - start
    if out.returncode != 0:
        return {"system": system, "workload": "import", "error": out.stderr.strip()[-2000:]}
    return {"system": system, "workload": "import", "wall": wall}


def progress(message: str) -> None:
    """A progress line on stderr (stdout carries only the table)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def collect(wanted: list[str], repeats: int,
            big: int = 1_000_000) -> tuple[Results, dict[str, Any]]:
    """Run the wanted workloads; return every record and facts for the notes."""
    results: Results = {}
    facts: dict[str, Any] = {}

    def add(record: dict[str, Any]) -> None:
        results.setdefault((record["workload"], record["system"]), []).append(record)
        if "error" in record:
            progress(f"  {record['system']} {record['workload']} FAILED")

    if "import" in wanted:
        progress(f"import: 1 untimed + {IMPORT_PROCESSES} timed processes per system")
        for system in SYSTEMS:
            time_import(system)  # byte-compiles on a first run; not counted
        baseline = []
        for _ in range(IMPORT_PROCESSES):
            for system in SYSTEMS:
                add(time_import(system))
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            baseline.append(time.perf_counter() - start)
        facts["python_startup"] = statistics.median(baseline)
    for workload in ("log_metric", "many_runs", "search", "log_model"):
        if workload in wanted:
            for system in SYSTEMS:
                progress(f"{workload}: {system} untimed process (byte-compiles what it imports)")
                run_workload(system, workload)
            for i in range(repeats):
                for system in SYSTEMS:
                    progress(f"{workload}: {system} process {i + 1}/{repeats}")
                    add(run_workload(system, workload))
    if "million" in wanted:
        folder = tempfile.mkdtemp(prefix="nbtrack-bench-million-")
        database = None if SERVER is None else SERVER.new_database(schema=False)
        try:
            progress(f"million: nbtrack bulk build of {big:,} runs")
            add(run_workload("nbtrack", "million_build", folder, big, database))
            if "error" not in results[("million_build", "nbtrack")][0]:
                for i in range(repeats):
                    progress(f"million: nbtrack search process {i + 1}/{repeats}")
                    add(run_workload("nbtrack", "million_search", folder, None, database))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            if database is not None:
                SERVER.drop_database(database)
    facts["big"] = big
    return results, facts


# ------------------------------------------------------------------ table
def fmt(seconds: float | None) -> str:
    """Seconds in a readable unit."""
    if seconds is None:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def median(results: Results, workload: str, system: str, field: str) -> float | None:
    """Median of ``field`` over the successful processes, or None."""
    values = [r[field] for r in results.get((workload, system), []) if field in r]
    return statistics.median(values) if values else None


def judge(row: Row, ours: float | None, theirs: float | None) -> tuple[str, str, str]:
    """Ratio text, target text and PASS/MISS for one row."""
    ratio = theirs / ours if ours and theirs else None
    goals = []
    if row.target is not None:
        goals.append(f"≥ {row.target:,.0f}×")
    if row.limit is not None:
        goals.append(f"nbtrack ≤ {fmt(row.limit)}")
    if not row.has_target:
        verdict = ""
    elif ours is None or (row.target is not None and ratio is None):
        verdict = "n/a"
    else:
        ok = (row.target is None or ratio >= row.target) and \
             (row.limit is None or ours <= row.limit)
        verdict = "PASS" if ok else "**MISS**"
    ratio_text = f"{ratio:,.0f}×" if ratio is not None and ratio >= 10 else (
        f"{ratio:.1f}×" if ratio is not None else "—")
    return ratio_text, ", ".join(goals) or "—", verdict


def table(results: Results, facts: dict[str, Any], repeats: int) -> str:
    """The Markdown report: a header line, the table and notes."""
    versions = {s: next((r["version"] for (w, sy), rs in results.items() if sy == s
                         for r in rs if "version" in r), _installed(s)) for s in SYSTEMS}
    where = "both on one PostgreSQL server" if SERVER is not None else \
        "each system's embedded SQLite store"
    header = (f"{time.strftime('%Y-%m-%d')} · {where} · nbtrack {versions['nbtrack']} · MLflow "
              f"{versions['mlflow']} · Python {sys.version.split()[0]} · {os.cpu_count()} "
              f"cores · medians of {repeats} fresh process(es) per system "
              f"(import: {IMPORT_PROCESSES})")
    lines = [header, "",
             "| workload | nbtrack | MLflow | MLflow / nbtrack | target | result |",
             "|---|---:|---:|---:|---|:-:|"]
    for row in ROWS:
        if not any(w == row.workload for w, _ in results):
            continue
        ours = median(results, row.workload, "nbtrack", row.field)
        theirs = median(results, row.workload, "mlflow", row.field)
        ratio, goal, verdict = judge(row, ours, theirs)
        label = row.label.format(big=f"{facts.get('big', 0):,}")
        lines.append(f"| {label} | {fmt(ours)} | {fmt(theirs)} | {ratio} | {goal} | "
                     f"{verdict} |")
    lines += ["", *notes(results, facts)]
    return "\n".join(lines) + "\n"


def notes(results: Results, facts: dict[str, Any]) -> list[str]:
    """Facts under the table: row counts, the large store, failures."""
    out = []
    if "python_startup" in facts:
        out.append(f"- `python -c pass` takes {fmt(facts['python_startup'])} here; the import "
                   f"row includes it on both sides.")
    if ("search", "nbtrack") in results:
        rows = {s: median(results, "search", s, "rows") for s in SYSTEMS}
        full = {s: median(results, "search", s, "full_rows") for s in SYSTEMS}
        out.append(f"- filtered search rows: nbtrack {rows['nbtrack']}, MLflow {rows['mlflow']}; "
                   f"full listing rows: nbtrack {full['nbtrack']}, MLflow {full['mlflow']}.")
    build = results.get(("million_build", "nbtrack"), [{}])[0]
    if "build" in build:
        out.append(f"- {build['runs']:,}-run store (3 params + 2 metrics per run) built through "
                   f"`bulk_import` in {fmt(build['build'])} "
                   f"({build['runs'] / build['build']:,.0f} runs/s); "
                   f"{build['store_bytes'] / 2**20:,.0f} MiB on disk.")
    if ("million_search", "nbtrack") in results:
        unlimited = median(results, "million_search", "nbtrack", "unlimited")
        rows = median(results, "million_search", "nbtrack", "unlimited_rows")
        out.append(f"- the same search over {facts['big']:,} runs without a limit returns "
                   f"{rows:,.0f} rows in {fmt(unlimited)}.")
    for (workload, system), records in sorted(results.items()):
        for record in records:
            if "error" in record:
                last = record["error"].strip().splitlines()[-1:] or ["?"]
                out.append(f"- {system} {workload} failed: `{last[0]}`")
    return out


def _installed(package: str) -> str:
    """Installed version of ``package`` (without importing it)."""
    try:
        return version(package)
    except Exception:  # noqa: BLE001 - any metadata problem means "unknown"
        return "?"


def save_raw(results: Results) -> Path:
    """Every record as JSON lines in bench/results/raw/ (kept out of git)."""
    folder = HERE / "results" / "raw"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for rs in results.values() for r in rs))
    return path


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run, print (and optionally write) the table."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per system "
                        "and workload (default 3)")
    parser.add_argument("--quick", action="store_true", help="one process each (--repeats 1)")
    parser.add_argument("--only", help="comma-separated workloads: " + ", ".join(WORKLOAD_NAMES))
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--million-runs", type=int, default=1_000_000, metavar="N",
                        help="size of the large nbtrack store (default 1,000,000)")
    parser.add_argument("--postgres", action="store_true", help="both systems on a "
                        "PostgreSQL server started for the run (nbtrack's PostgreSQL store, "
                        "MLflow's SQLAlchemy store)")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else max(1, args.repeats)
    wanted = args.only.split(",") if args.only else list(WORKLOAD_NAMES)
    unknown = sorted(set(wanted) - set(WORKLOAD_NAMES))
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; "
                     f"choose from {', '.join(WORKLOAD_NAMES)}")
    started = time.perf_counter()
    if args.postgres:
        return _on_postgres(lambda: _report(args, wanted, repeats, started))
    return _report(args, wanted, repeats, started)


def _on_postgres(body: Any) -> int:
    """Run ``body`` with :data:`SERVER` a PostgreSQL cluster, stopped afterwards."""
    global SERVER
    sys.path.insert(0, str(HERE.parent / "tests"))
    from pg_cluster import Cluster, find_bindir

    SERVER = Cluster(find_bindir())
    try:
        SERVER.start()
        progress(f"PostgreSQL server on port {SERVER.port}")
        return int(body())
    finally:
        SERVER.stop()
        SERVER = None


def _report(args: argparse.Namespace, wanted: list[str], repeats: int, started: float) -> int:
    results, facts = collect(wanted, repeats, args.million_runs)
    progress(f"done in {time.perf_counter() - started:.0f} s; raw records: {save_raw(results)}")
    report = table(results, facts, repeats)
    print(report)
    if args.markdown:
        args.markdown.write_text(report)
    failed = any("error" in r for rs in results.values() for r in rs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
