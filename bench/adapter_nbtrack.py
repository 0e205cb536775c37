"""nbtrack, spelled as the benchmark's tracker adapter.

The store is the embedded SQLite store in ``<folder>/.nbtrack``, chosen through
``NBTRACK_STORE`` before nbtrack is imported, exactly as a user would.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from workloads import RunData


class NbtrackAdapter:
    """The tracker operations the workloads use, done with nbtrack's public API.

    Parameters
    ----------
    folder : Path
        Private scratch folder of this process; the store goes in ``folder/.nbtrack``.
    """

    name = "nbtrack"

    def __init__(self, folder: Path) -> None:
        self.store_dir = Path(folder) / ".nbtrack"
        # BENCH_STORE_URI: a PostgreSQL database (compare.py --postgres)
        os.environ["NBTRACK_STORE"] = os.environ.get("BENCH_STORE_URI") or str(self.store_dir)
        import nbtrack

        self.nb = nbtrack

    def version(self) -> str:
        """nbtrack's version string."""
        return str(self.nb.__version__)

    def prepare(self) -> None:
        """Open (and if new, create) the store; schema creation is not measured."""
        _ = self.nb.tracker().store

    def start_run(self) -> Any:
        """Start a run and make it the active one."""
        return self.nb.start_run()

    def end_run(self, run: Any) -> None:
        """End the active run; everything it logged is committed when this returns."""
        self.nb.end_run()

    def log_metric(self, key: str, value: float, step: int) -> None:
        """One metric point of the active run."""
        self.nb.log_metric(key, value, step)

    def log_params(self, params: dict[str, Any]) -> None:
        """Several params of the active run."""
        self.nb.log_params(params)

    def log_metrics(self, metrics: dict[str, float]) -> None:
        """Several metric values of the active run at one step."""
        self.nb.log_metrics(metrics)

    def log_model(self, model: Any) -> None:
        """Save a fitted model with the active run."""
        self.nb.log_model(model, name="model")

    def populate(self, runs: Iterable[RunData]) -> None:
        """Record runs through the ordinary API (not timed by any workload)."""
        for params, metrics in runs:
            with self.nb.start_run(params=params):
                self.nb.log_metrics(metrics)

    def search(self, filter_text: str | None, order_by: str | None,
               limit: int | None = None) -> Any:
        """Runs matching ``filter_text`` in ``order_by`` order, as a pandas DataFrame."""
        return self.nb.runs(filter=filter_text, order_by=order_by, limit=limit)

    # ------------------------------------------------------------ nbtrack only
    def bulk_populate(self, runs: Iterable[RunData]) -> int:
        """Write finished runs through the store's bulk path (``Store.bulk_import``).

        Parameters
        ----------
        runs : iterable of (params, metrics)
            The runs to write; each gets a start time one second after the previous one.

        Returns
        -------
        int
            Number of runs written.
        """
        from nbtrack.entities import Run, RunStatus
        from nbtrack.ids import new_run_id

        store = self.nb.tracker().store
        if not hasattr(store, "bulk_import"):
            raise RuntimeError("this nbtrack's store has no bulk_import method")
        base = time.time() - 10_000_000

        def finished() -> Iterable[Any]:
            for i, (params, metrics) in enumerate(runs):
                start = base + i
                yield Run(run_id=new_run_id(start), experiment="bulk",
                          status=RunStatus.FINISHED, start_time=start, end_time=start + 1.0,
                          params=params, metrics=metrics)

        count = store.bulk_import(finished())
        store.flush()
        return int(count)

    def store_bytes(self) -> int:
        """Bytes on disk under the store folder (database, WAL and artifacts), or the
        PostgreSQL database's size."""
        if os.environ.get("BENCH_STORE_URI"):
            return int(self.nb.tracker().store.backend.read(lambda c: c.execute(
                "SELECT pg_database_size(current_database())").fetchone()[0]))
        return sum(f.stat().st_size for f in self.store_dir.rglob("*") if f.is_file())
