"""Run a sweep: check it, export the source run once, run its points, collect them."""

from __future__ import annotations

import keyword
import os
import socket
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping

from ..entities import Run, RunStatus
from ..errors import ExportError, InvalidValueError, NbtrackError, ReproductionError
from ..store import Store
from .grid import check_names, grid_points, literal_source, normalise_grid
from .point import CANCELLED, POINT_TAG, SWEEP_TAG, PointOutcome, PointSpec, StoreTarget
from .result import PointResult, SweepResult

__all__ = ["run_sweep", "source_run", "sweepable_params", "store_target"]

ENGINES = ("local", "dask")


def source_run(store: Store, run_or_cell: Any, last_run_id: str | None) -> Run:
    """The run a sweep varies: a Run, a run id or prefix, a cell id (its newest run), or
    None for ``last_run_id``.

    Raises
    ------
    InvalidValueError
        For None when no run ended in this process.
    RunNotFoundError
        When nothing matches.
    """
    from ..filters import by_cell

    if run_or_cell is None:
        if not last_run_id:
            raise InvalidValueError("no run given and no tracked run ended in this process; "
                                    "give the run to sweep (an id or unique prefix)")
        run_or_cell = last_run_id
    if isinstance(run_or_cell, Run):
        return store.get_run(run_or_cell.run_id)
    text = str(run_or_cell)
    try:
        return store.get_run(text)
    except NbtrackError as not_a_run:
        table = store.search(by_cell(text), limit=1)
        if len(table):
            return store.get_run(table.run_ids[0])
        raise not_a_run from None


def sweepable_params(run: Run) -> dict[str, Any]:
    """The params of ``run`` a sweep can set: those its export's parameters cell sets
    (Python names with a literal value)."""
    return {k: v for k, v in run.params.items()
            if k.isidentifier() and not keyword.iskeyword(k) and literal_source(v) is not None}


def store_target(store: Store) -> StoreTarget:
    """Where the points' kernels record: the same store as this process."""
    from ..store.schema import DB_NAME

    host = socket.gethostname()
    if store.folder is not None:
        folder = Path(store.folder).resolve()
        found = os.stat(folder / DB_NAME)
        return StoreTarget(str(folder), host, (found.st_dev, found.st_ino))
    uri = store.uri
    if uri.startswith("memory"):
        raise ReproductionError("a sweep's kernels cannot write to an in-memory store; set "
                                "NBTRACK_STORE to a folder or a database server")
    if "***" in uri:
        configured = os.environ.get("NBTRACK_STORE", "").strip()
        if not configured.startswith(("postgresql:", "postgres:")):
            raise ReproductionError("the sweep's kernels need the store's password; keep it "
                                    "in ~/.pgpass or PGPASSWORD rather than in the URI")
        uri = configured
    return StoreTarget(uri, host, None)


class _Collector:
    """Receives each point as it ends: writes what must be written, moves the bar."""

    def __init__(self, store: Store, source: Run, spec: PointSpec, total: int,
                 progress: bool) -> None:
        from tqdm.auto import tqdm

        self.store, self.source, self.spec = store, source, spec
        self.outcomes: dict[int, PointOutcome] = {}
        self.bar = tqdm(total=total, desc=f"sweep {source.short_id}", unit="point",
                        disable=not progress, file=sys.stderr, leave=True)
        self.failed = 0

    def __call__(self, outcome: PointOutcome) -> None:
        if outcome.index in self.outcomes:
            return
        try:
            if outcome.payload is not None:
                from .transfer import write_payload

                outcome.run_id = write_payload(self.store, outcome.payload)
                outcome.payload = None
            elif outcome.status == "FAILED" and outcome.run_id is None:
                outcome.run_id = self._record_failure(outcome)
        except NbtrackError as exc:  # the store refused: keep the point's outcome anyway
            outcome.error = f"{outcome.error or ''} (not recorded: {exc})".strip()
        self.outcomes[outcome.index] = outcome
        if outcome.status == "FAILED":
            self.failed += 1
            self.bar.set_postfix(failed=self.failed, refresh=False)
        self.bar.update(1)

    def _record_failure(self, outcome: PointOutcome) -> str:
        """A FAILED child run for a point whose notebook failed before its tracked cell."""
        from ..ids import new_run_id

        now = time.time()
        params = {**sweepable_params(self.source), **outcome.params}
        run = Run(run_id=new_run_id(now), experiment=self.source.experiment,
                  name=self.source.name, status=RunStatus.FAILED,
                  start_time=now - outcome.seconds, params=params,
                  tags={SWEEP_TAG: self.spec.sweep_id, POINT_TAG: str(outcome.index)},
                  cell_id=self.source.cell_id, parent_run_id=self.source.run_id,
                  host=socket.gethostname(), pid=os.getpid(), heartbeat=now,
                  error=outcome.error)
        error = outcome.error if not outcome.detail else f"{outcome.error}\n\n{outcome.detail}"
        self.store.create_run(replace(run, error=error))
        self.store.end_run(run.run_id, RunStatus.FAILED, now, error)
        return run.run_id


def run_sweep(tracker: Any, run_or_cell: Any, grid: Mapping[str, Any], *, engine: str = "local",
              jobs: int | None = None, scheduler: str | None = None, store: Store | None = None,
              progress: bool = True, timeout: int = 1800) -> SweepResult:
    """The work of :func:`nbtrack.sweep` (see there), with the tracker to use."""
    if engine not in ENGINES:
        raise InvalidValueError(f"unknown engine {engine!r}; use 'local' or 'dask'")
    if scheduler and engine != "dask":
        raise InvalidValueError("a scheduler address is for the dask engine; pass "
                                "engine='dask' (--engine dask) with it")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise InvalidValueError(f"jobs must be a whole number of at least 1, got {jobs!r}")
    if engine == "dask":
        from .dask_engine import import_distributed

        import_distributed()
    store = store or tracker.store
    values = normalise_grid(grid)
    source = source_run(store, run_or_cell, getattr(tracker, "last_run_id", None))
    if source.record.source is None:
        raise ExportError(f"run {source.run_id} was not recorded from a %%track cell, so there "
                          "is no code to sweep; sweep a run made by a tracked cell")
    check_names(values, sweepable_params(source), source.run_id)
    target = store_target(store)
    points = list(enumerate(grid_points(values)))
    cores = os.cpu_count() or 1
    jobs = min(jobs or cores, len(points))
    from ..ids import new_run_id
    from ..repro.notebook import export_run

    store.flush()
    with tempfile.TemporaryDirectory(prefix="nbtrack-sweep-") as work:
        exported = export_run(store, source.run_id, Path(work) / "sweep.ipynb")
        notebook = exported.notebook.read_text(encoding="utf-8")
    spec = PointSpec(notebook=notebook, source_run=source.run_id,
                     sweep_id="s-" + new_run_id()[2:], target=target, cwd=os.getcwd(),
                     timeout=timeout, threads=None if scheduler else max(1, cores // jobs))
    collect = _Collector(store, source, spec, len(points), progress)
    started = time.perf_counter()
    try:
        if engine == "local":
            from .local_engine import run_local

            run_local(spec, points, jobs, collect)
        else:
            from .dask_engine import run_dask

            run_dask(spec, points, jobs, scheduler, collect)
    except KeyboardInterrupt:
        collect.bar.close()
        store.reap_dead_runs()
        partial = _result(store, source, spec, engine, values, collect.outcomes, points,
                          time.perf_counter() - started, exported.warnings)
        print(f"{partial.summary()}; cancelled. Its runs: tags.{SWEEP_TAG} = "
              f"'{spec.sweep_id}'", file=sys.stderr)
        raise
    finally:
        collect.bar.close()
    return _result(store, source, spec, engine, values, collect.outcomes, points,
                   time.perf_counter() - started, exported.warnings)


def _result(store: Store, source: Run, spec: PointSpec, engine: str,
            grid: dict[str, list[Any]], outcomes: dict[int, PointOutcome],
            points: list[tuple[int, dict[str, Any]]], seconds: float,
            warnings: list[str]) -> SweepResult:
    from ..filters import by_ids

    ids = [o.run_id for o in outcomes.values() if o.run_id]
    if any(o.status == "RUNNING" for o in outcomes.values()):
        store.reap_dead_runs()  # a kernel that died mid-cell left its run open
    records = {r["run_id"]: r for r in store.search(by_ids(ids)).records()} if ids else {}
    results = []
    for index, values in points:
        outcome = outcomes.get(index) or PointOutcome(index, values, CANCELLED)
        record = records.get(outcome.run_id or "")
        found = record["status"] if record else outcome.status
        status = str(getattr(found, "value", found))
        results.append(PointResult(
            index=index, params=dict(values), status=status, run_id=outcome.run_id,
            metrics=dict(record["metrics"]) if record else {},
            error=outcome.error if status != "FINISHED" else None, seconds=outcome.seconds))
    return SweepResult(spec.sweep_id, source.run_id, engine, grid, results, seconds,
                       list(warnings))
