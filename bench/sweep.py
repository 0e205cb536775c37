"""Wall time of a 32-point sweep: the local engine and Dask next to a sequential loop.

A kernel records one run of a small scikit-learn cell (LogisticRegression on iris,
its model saved); the sweep then re-executes that run's exported notebook over an
8 x 4 grid of ``C`` and ``max_iter``. Three ways, same points, same store:

- sequential: a plain loop, each point's notebook executed in a fresh kernel after
  the previous one ended (what a script calling papermill in a loop does);
- local: ``nbtrack.sweep(..., engine="local")``, one kernel per core at a time;
- dask: ``nbtrack.sweep(..., engine="dask", jobs=2)``, a LocalCluster of 2 workers
  started for the sweep and closed after it (both counted in its time).

Every point is a fresh kernel, so the times are dominated by starting kernels and
importing scikit-learn, which is what a sweep of quick cells costs.

    .venv/bin/python bench/sweep.py [--points N] [--workers W]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

SETUP = ("from sklearn.datasets import load_iris\n"
         "from sklearn.linear_model import LogisticRegression\n"
         "X, y = load_iris(return_X_y=True)\n")
CELL = ("%%track\nC = 1.0\nmax_iter = 200\n"
        "model = LogisticRegression(C=C, max_iter=max_iter).fit(X, y)\n"
        "acc = model.score(X, y)\n")


def record_source(folder: str) -> str:
    """Run the setup and the tracked cell in a real kernel; the run's id."""
    from jupyter_client.manager import KernelManager

    env = dict(os.environ, NBTRACK_STORE=os.path.join(folder, ".nbtrack"))
    km = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(folder, "k"))
    km.start_kernel(cwd=folder, env=env)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        for code in ("%load_ext nbtrack", SETUP, CELL):
            reply = kc.execute_interactive(code, timeout=300, output_hook=lambda msg: None)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"cell failed: {reply['content']}")
    finally:
        kc.stop_channels()
        km.shutdown_kernel()
    import nbtrack

    return str(nbtrack.runs().run_id[0])


def grid(points: int) -> dict[str, list[float | int]]:
    iters = [100, 200, 300, 500][: max(1, min(4, points // 8 or 1))]
    per = max(1, points // len(iters))
    return {"C": [round(0.01 * 2 ** i, 4) for i in range(per)], "max_iter": iters}


def sequential(source: str, values: dict[str, list[float | int]]) -> tuple[float, int]:
    """The same re-executions, one after another, with nothing in parallel."""
    import nbtrack
    from nbtrack.repro.notebook import export_run
    from nbtrack.sweeps.driver import store_target
    from nbtrack.sweeps.grid import grid_points
    from nbtrack.sweeps.point import PointSpec, run_point

    store = nbtrack.tracker().store
    with tempfile.TemporaryDirectory() as work:
        notebook = export_run(store, source, os.path.join(work, "x.ipynb")).notebook.read_text()
    spec = PointSpec(notebook, source, "s-sequential", store_target(store), os.getcwd())
    started = time.perf_counter()
    done = [run_point(spec, i, point, lambda: False)
            for i, point in enumerate(grid_points(values))]
    return time.perf_counter() - started, sum(o.status == "FINISHED" for o in done)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="Dask workers")
    args = parser.parse_args()
    import nbtrack

    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as folder:
        os.chdir(folder)
        os.environ["NBTRACK_STORE"] = os.path.join(folder, ".nbtrack")
        source = record_source(folder)
        values = grid(args.points)
        count = len(values["C"]) * len(values["max_iter"])
        cores = os.cpu_count() or 1
        print(f"{count} points, {cores} cores; source run {source}", file=sys.stderr)
        rows = []
        seconds, finished = sequential(source, values)
        rows.append(("sequential loop (1 kernel at a time)", seconds, finished))
        print(f"sequential: {seconds:.1f} s", file=sys.stderr)
        for label, engine, jobs in ((f"local engine ({min(cores, count)} kernels)", "local",
                                     None),
                                    (f"dask LocalCluster ({args.workers} workers)", "dask",
                                     args.workers)):
            started = time.perf_counter()
            result = nbtrack.sweep(source, values, engine=engine, jobs=jobs, progress=False)
            seconds = time.perf_counter() - started
            rows.append((label, seconds, result.finished))
            print(f"{engine}: {seconds:.1f} s", file=sys.stderr)
        base = rows[0][1]
        print(f"| {count}-point sweep | wall s | s / point | finished | vs sequential |")
        print("|---|---:|---:|---:|---:|")
        for label, seconds, finished in rows:
            print(f"| {label} | {seconds:.1f} | {seconds / count:.2f} | {finished}/{count} | "
                  f"{base / seconds:.2f}x |")


if __name__ == "__main__":
    main()
