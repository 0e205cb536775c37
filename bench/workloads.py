"""Tracker-neutral workloads; ``run_one.py`` runs one of them in a fresh process.

Every workload takes a tracker adapter (``adapter_nbtrack.NbtrackAdapter`` or
``adapter_mlflow.MlflowAdapter``), does its untimed set-up, times only the
operation it is named after, and returns a flat dict of numbers (seconds unless
the key says otherwise). The data is seeded, so both systems hold the same runs.
"""

from __future__ import annotations

import cProfile
import random
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, Protocol, final

RunData = tuple[dict[str, Any], dict[str, float]]
"""One run's (params, metrics)."""

#: The filtered search of the 1,000-run and 1,000,000-run workloads. MLflow compares
#: params as strings, so the filter's param is a string one on both sides.
FILTER = "metrics.acc > 0.9 and params.model = 'rf'"
ORDER = "metrics.acc DESC"
MODELS = ("rf", "lr", "svm")


class Tracker(Protocol):
    """What a workload needs from a tracking system (one adapter per system)."""

    name: str

    def version(self) -> str:
        """The system's version string."""

    def prepare(self) -> None:
        """Create the store and whatever a first run needs; never timed."""

    def start_run(self) -> Any:
        """Start a run and make it the active one."""

    def end_run(self, run: Any) -> None:
        """End the active run."""

    def log_metric(self, key: str, value: float, step: int) -> None:
        """One metric point of the active run."""

    def log_params(self, params: dict[str, Any]) -> None:
        """Several params of the active run."""

    def log_metrics(self, metrics: dict[str, float]) -> None:
        """Several metric values of the active run."""

    def log_model(self, model: Any) -> None:
        """Save a fitted model with the active run."""

    def populate(self, runs: Iterator[RunData]) -> None:
        """Record finished runs by the system's fastest ordinary means; never timed."""

    def search(self, filter_text: str | None, order_by: str | None,
               limit: int | None = None) -> Any:
        """Matching runs as a pandas DataFrame."""


# ------------------------------------------------------------------ data
def sweep(n: int, seed: int = 0) -> Iterator[RunData]:
    """``n`` runs of a hyper-parameter sweep: 10 params and 5 metrics each.

    Parameters
    ----------
    n : int
        Number of runs.
    seed : int
        Seed of the random generator (the same seed gives the same runs).

    Yields
    ------
    tuple of (dict, dict)
        Params (``model`` in {rf, lr, svm} and nine others of mixed types) and
        metrics (``acc`` uniform on [0, 1) and four others).
    """
    rng = random.Random(seed)
    for i in range(n):
        params = {"model": rng.choice(MODELS), "seed": i, "C": rng.choice([0.01, 0.1, 1.0, 10.0]),
                  "max_depth": rng.randint(2, 32), "n_estimators": rng.choice([50, 100, 200]),
                  "lr": round(rng.uniform(1e-4, 1e-1), 6), "batch_size": rng.choice([32, 64, 128]),
                  "optimizer": rng.choice(["adam", "sgd"]), "dropout": round(rng.random() / 2, 3),
                  "layers": rng.randint(1, 8)}
        metrics = {"acc": rng.random(), "loss": rng.random(), "f1": rng.random(),
                   "precision": rng.random(), "recall": rng.random()}
        yield params, metrics


def small_sweep(n: int, seed: int = 1) -> Iterator[RunData]:
    """``n`` runs of 3 params (model, seed, C) and 2 metrics (acc, loss), for large stores."""
    rng = random.Random(seed)
    for i in range(n):
        yield ({"model": rng.choice(MODELS), "seed": i, "C": rng.choice([0.01, 0.1, 1.0, 10.0])},
               {"acc": rng.random(), "loss": rng.random()})


@final
class Stopwatch:
    """Times one section (``with Stopwatch() as watch: ...``; then ``watch.seconds``).

    Every timed section of every workload goes through this class, so a profiler
    set on :attr:`profiler` (``profile_run.py`` does) sees the timed sections only,
    not the set-up around them.
    """

    profiler: ClassVar[cProfile.Profile | None] = None
    seconds: float = 0.0

    def __enter__(self) -> Stopwatch:
        if self.profiler is not None:
            self.profiler.enable()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started
        if self.profiler is not None:
            self.profiler.disable()


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds ``call`` took, and what it returned."""
    with Stopwatch() as watch:
        result = call()
    return watch.seconds, result


# ------------------------------------------------------------------ workloads
def log_metric(t: Tracker, n: int = 2000) -> dict[str, float]:
    """``n`` single ``log_metric(key, value, step)`` calls inside one run.

    The loop is timed as a whole, then the run's end (for nbtrack: the flush that
    commits every buffered point). ``per_call`` is (loop + end) / n.
    """
    t.prepare()
    run = t.start_run()
    with Stopwatch() as watch:
        for step in range(n):
            t.log_metric("loss", 1.0 / (step + 1), step)
    loop = watch.seconds
    end, _ = _timed(lambda: t.end_run(run))
    return {"per_call": (loop + end) / n, "per_call_calls_only": loop / n, "end_run": end,
            "total": loop + end, "calls": n}


def many_runs(t: Tracker, n: int = 200) -> dict[str, float]:
    """``n`` runs through the ordinary API, each: start, 10 params, 5 metrics, end.

    Timed from the process's first ``start_run``: opening (creating) the store and the
    first environment capture are part of it, as in a script that tracks a sweep.
    """
    data = list(sweep(n))
    first = 0.0
    with Stopwatch() as watch:
        for i, (params, metrics) in enumerate(data):
            run = t.start_run()
            t.log_params(params)
            t.log_metrics(metrics)
            t.end_run(run)
            if i == 0:
                first = time.perf_counter() - watch.started
    total = watch.seconds
    return {"total": total, "per_run": total / n, "first_run": first,
            "later_per_run": (total - first) / max(1, n - 1), "runs": n}


def search(t: Tracker, n: int = 1000, repeats: int = 5) -> dict[str, float]:
    """Filtered + sorted search and full listing over ``n`` runs, each to a DataFrame.

    The store is populated in this process first (not timed). ``*_cold`` is the first
    call in the process, ``*_warm`` the median of ``repeats`` identical later calls,
    and ``filtered_new`` the median of ``repeats`` calls whose threshold changes each
    time (so no answer of an earlier call can be reused).
    """
    import pandas  # noqa: F401  (a notebook has it; MLflow imports it at import time)

    t.prepare()
    t.populate(sweep(n))
    filtered_cold, frame = _timed(lambda: t.search(FILTER, ORDER))
    rows = len(frame)
    full_cold, full = _timed(lambda: t.search(None, None))
    full_rows = len(full)
    filtered_warm = statistics.median(_timed(lambda: t.search(FILTER, ORDER))[0]
                                      for _ in range(repeats))
    full_warm = statistics.median(_timed(lambda: t.search(None, None))[0]
                                  for _ in range(repeats))
    new = [FILTER.replace("0.9", f"{0.9 + (i + 1) * 1e-4:.4f}") for i in range(repeats)]
    filtered_new = statistics.median(_timed(lambda f=f: t.search(f, ORDER))[0] for f in new)
    return {"filtered_cold": filtered_cold, "filtered_warm": filtered_warm,
            "filtered_new": filtered_new, "full_cold": full_cold, "full_warm": full_warm,
            "rows": rows, "full_rows": full_rows}


def log_model(t: Tracker, later: int = 3) -> dict[str, float]:
    """A run that logs a fitted LogisticRegression (iris): first run in the process, later runs.

    Each timing covers start_run + log_model + end_run, so the environment capture
    is counted wherever a system does it (nbtrack at start, MLflow in log_model).
    """
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    t.prepare()
    features, labels = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500).fit(features, labels)

    def one() -> None:
        run = t.start_run()
        t.log_model(model)
        t.end_run(run)

    times = [_timed(one)[0] for _ in range(1 + later)]
    return {"first": times[0], "later": statistics.median(times[1:])}


def million_build(t: Any, n: int = 1_000_000) -> dict[str, float]:
    """nbtrack only: write ``n`` runs (3 params, 2 metrics) through the store's bulk path."""
    t.prepare()
    seconds, count = _timed(lambda: t.bulk_populate(small_sweep(n)))
    return {"build": seconds, "runs": count, "store_bytes": t.store_bytes()}


def million_search(t: Tracker, repeats: int = 5, limit: int = 100) -> dict[str, float]:
    """Filtered + sorted search (top ``limit``) over an existing large store, to a DataFrame.

    ``cold`` is the first call in the process (the store is opened before, untimed),
    ``warm`` the median of identical later calls, ``new`` the median of calls with a
    different threshold each time; ``unlimited`` fetches every matching run once.
    """
    import pandas  # noqa: F401

    t.prepare()
    cold, frame = _timed(lambda: t.search(FILTER, ORDER, limit))
    warm = statistics.median(_timed(lambda: t.search(FILTER, ORDER, limit))[0]
                             for _ in range(repeats))
    new = [FILTER.replace("0.9", f"{0.9 + (i + 1) * 1e-4:.4f}") for i in range(repeats)]
    fresh = statistics.median(_timed(lambda f=f: t.search(f, ORDER, limit))[0] for f in new)
    unlimited, everything = _timed(lambda: t.search(FILTER, ORDER))
    return {"cold": cold, "warm": warm, "new": fresh, "rows": len(frame),
            "unlimited": unlimited, "unlimited_rows": len(everything)}


def listing_big(t: Any, n: int = 100_000, repeats: int = 3) -> dict[str, float]:
    """nbtrack only: the full listing of ``n`` sweep runs (10 params, 5 metrics) → DataFrame.

    The store is written through the bulk path first (not timed); ``cold`` is the
    first listing in the process, ``warm`` the median of later ones.
    """
    import pandas  # noqa: F401

    t.prepare()
    t.bulk_populate(sweep(n))
    cold, frame = _timed(lambda: t.search(None, None))
    warm = statistics.median(_timed(lambda: t.search(None, None))[0] for _ in range(repeats))
    return {"cold": cold, "warm": warm, "rows": len(frame), "columns": len(frame.columns)}


def memory(t: Tracker) -> dict[str, float]:
    """Peak resident memory of this process after importing the system and one run.

    The run logs 10 params and 5 metrics. ``peak_bytes`` is the process's maximum
    resident set (``ru_maxrss``), interpreter included; ``before_bytes`` the same
    figure before the system was imported (``run_one.py`` records it first thing).
    """
    import resource

    params, metrics = next(sweep(1))
    run = t.start_run()
    t.log_params(params)
    t.log_metrics(metrics)
    t.end_run(run)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"peak_bytes": float(peak)}


WORKLOADS: dict[str, Callable[..., dict[str, float]]] = {
    "listing_big": listing_big, "memory": memory,
    "log_metric": log_metric, "many_runs": many_runs, "search": search,
    "log_model": log_model, "million_build": million_build, "million_search": million_search,
}
