"""Workloads, each run by ``one.py`` in a fresh process; every one returns a dict of timings.

MLflow's filter language compares params as strings, so the filter used for both
systems compares a string param; the data is seeded so both stores hold the same runs.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any, Callable

FILTER = "metrics.acc > 0.6 and params.model = 'rf'"  # ~13 % of runs, as in the baseline study
ORDER = "metrics.acc DESC"


def sweep_data(n: int, seed: int = 0) -> list[tuple[dict[str, Any], dict[str, float]]]:
    """n runs of 10 params and 5 metrics (deterministic)."""
    rng = random.Random(seed)
    runs = []
    for i in range(n):
        params = {"model": rng.choice(["rf", "lr", "svm"]), "seed": i}
        params.update({f"p{j}": round(rng.random(), 6) for j in range(8)})
        metrics = {"acc": rng.random(), "loss": rng.random(), "f1": rng.random(),
                   "precision": rng.random(), "recall": rng.random()}
        runs.append((params, metrics))
    return runs


def log_metric_loop(a: Any, n: int = 2000) -> dict[str, float]:
    """n single log_metric calls in one run; per-call median and the closing flush."""
    a.warm_up()
    run = a.start_run()
    times = []
    for i in range(n):
        t = time.perf_counter()
        a.log_metric("loss", 1.0 / (i + 1), i)
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    a.end_run(run)
    end = time.perf_counter() - t
    return {"per_call": statistics.median(times), "total": sum(times) + end, "end_run": end}


def many_runs(a: Any, n: int = 1000) -> dict[str, float]:
    """n runs, each with 10 params and 5 metrics, through the ordinary API."""
    a.warm_up()
    data = sweep_data(n)
    t = time.perf_counter()
    for params, metrics in data:
        run = a.start_run()
        a.log_params(params)
        a.log_metrics(metrics)
        a.end_run(run)
    total = time.perf_counter() - t
    return {"total": total, "per_run": total / n}


def search(a: Any, n: int = 1000, repeats: int = 4) -> dict[str, float]:
    """Filtered+sorted search and full listing over n runs, to a DataFrame."""
    import pandas  # noqa: F401  (MLflow imports pandas at import; so must the other side)

    a.warm_up()
    a.populate(sweep_data(n))

    def timed(fn: Callable[[], Any]) -> tuple[float, int]:
        t = time.perf_counter()
        frame = fn()
        return time.perf_counter() - t, len(frame)

    filtered_cold, rows = timed(lambda: a.search(FILTER, ORDER))
    full_cold, full_rows = timed(lambda: a.search(None, None))
    filtered_warm = statistics.median(timed(lambda: a.search(FILTER, ORDER))[0]
                                      for _ in range(repeats))
    full_warm = statistics.median(timed(lambda: a.search(None, None))[0] for _ in range(repeats))
    return {"filtered_cold": filtered_cold, "filtered_warm": filtered_warm,
            "full_cold": full_cold, "full_warm": full_warm, "rows": rows,
            "full_rows": full_rows}


def log_model(a: Any, later: int = 3) -> dict[str, float]:
    """log_model of a fitted LogisticRegression (environment captured), first and later calls."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    a.warm_up()
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    times = []
    for _ in range(1 + later):
        run = a.start_run()
        t = time.perf_counter()
        a.log_model(model)
        times.append(time.perf_counter() - t)
        a.end_run(run)
    return {"first": times[0], "later": statistics.median(times[1:])}


def million(a: Any, n: int = 1_000_000) -> dict[str, float]:
    """nbtrack only: build a store of n runs with the bulk path, then search it."""
    import os

    from nbtrack.entities import Run, RunStatus
    from nbtrack.filters import parse_filter, parse_order_by
    from nbtrack.ids import new_run_id

    a.warm_up()
    store = a.nb.tracker().store
    rng = random.Random(1)
    start = time.time() - n

    def runs():
        for i in range(n):
            yield Run(new_run_id(start + i), experiment="bulk", status=RunStatus.FINISHED,
                      start_time=start + i, end_time=start + i + 1,
                      params={"model": rng.choice(["rf", "lr", "svm"]), "seed": i,
                              "C": rng.choice([0.01, 0.1, 1, 10])},
                      metrics={"acc": rng.random(), "loss": rng.random()})

    t = time.perf_counter()
    store.bulk_import(runs())
    build = time.perf_counter() - t
    store.flush()
    folder = os.path.dirname(store.content.root)
    size = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder)
               if os.path.isfile(os.path.join(folder, f)))
    where = parse_filter("metrics.acc > 0.999 and params.model = 'rf'")
    order = parse_order_by(ORDER)
    times = []
    for _ in range(5):
        store._search_cache = None  # measure the query, not the repeat cache
        t = time.perf_counter()
        table = store.search(where, order, limit=100)
        times.append(time.perf_counter() - t)
    return {"build": build, "size_mb": size / 2**20, "search_first": times[0],
            "search": statistics.median(times[1:]), "rows": len(table)}


WORKLOADS = {"log_metric": log_metric_loop, "many_runs": many_runs, "search": search,
             "log_model": log_model, "million": million}
