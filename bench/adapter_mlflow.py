"""MLflow, spelled as the benchmark's tracker adapter.

The store is MLflow's default SQLite backend, ``sqlite:///<folder>/mlflow.db``,
with the experiment's artifacts in ``<folder>/artifacts`` (so nothing lands in
the working directory).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from workloads import RunData

EXPERIMENT = "bench"


class MlflowAdapter:
    """The tracker operations the workloads use, done with MLflow's public API.

    Parameters
    ----------
    folder : Path
        Private scratch folder of this process; holds ``mlflow.db`` and the artifacts.
    """

    name = "mlflow"

    def __init__(self, folder: Path) -> None:
        os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
        self.folder = Path(folder)
        import mlflow

        self.mlflow = mlflow
        # BENCH_STORE_URI: a PostgreSQL database (compare.py --postgres), reached through
        # SQLAlchemy's psycopg 3 driver, as nbtrack reaches it
        server = os.environ.get("BENCH_STORE_URI")
        mlflow.set_tracking_uri(server.replace("postgresql://", "postgresql+psycopg://", 1)
                                if server else f"sqlite:///{self.folder / 'mlflow.db'}")
        self.experiment_id = ""

    def version(self) -> str:
        """MLflow's version string."""
        return str(self.mlflow.__version__)

    def prepare(self) -> None:
        """Create the database (migrations) and the experiment; not measured."""
        artifacts = (self.folder / "artifacts").as_uri()
        self.experiment_id = self.mlflow.create_experiment(EXPERIMENT,
                                                           artifact_location=artifacts)
        self.mlflow.set_experiment(experiment_id=self.experiment_id)

    def start_run(self) -> Any:
        """Start a run and make it the active one."""
        return self.mlflow.start_run()

    def end_run(self, run: Any) -> None:
        """End the active run."""
        self.mlflow.end_run()

    def log_metric(self, key: str, value: float, step: int) -> None:
        """One metric point of the active run."""
        self.mlflow.log_metric(key, value, step=step)

    def log_params(self, params: dict[str, Any]) -> None:
        """Several params of the active run."""
        self.mlflow.log_params(params)

    def log_metrics(self, metrics: dict[str, float]) -> None:
        """Several metric values of the active run at one step."""
        self.mlflow.log_metrics(metrics)

    def log_model(self, model: Any) -> None:
        """Save a fitted scikit-learn model with the active run (pip requirements inferred)."""
        import mlflow.sklearn

        mlflow.sklearn.log_model(model, name="model")

    def populate(self, runs: Iterable[RunData]) -> None:
        """Record runs with one ``log_batch`` per run (faster than the fluent API; not timed).

        Each run carries the tags MLflow's fluent ``start_run`` would add (user,
        source), so the store holds what ordinary runs hold.
        """
        from mlflow.entities import Metric, Param
        from mlflow.tracking import MlflowClient
        from mlflow.tracking.context.registry import resolve_tags

        client = MlflowClient()
        tags = resolve_tags({})
        for params, metrics in runs:
            run_id = client.create_run(self.experiment_id, tags=tags).info.run_id
            now = int(1000 * time.time())
            client.log_batch(run_id,
                             metrics=[Metric(k, float(v), now, 0) for k, v in metrics.items()],
                             params=[Param(k, str(v)) for k, v in params.items()])
            client.set_terminated(run_id)

    def search(self, filter_text: str | None, order_by: str | None,
               limit: int | None = None) -> Any:
        """Runs matching ``filter_text`` in ``order_by`` order, as a pandas DataFrame."""
        return self.mlflow.search_runs(experiment_ids=[self.experiment_id],
                                       filter_string=filter_text or "",
                                       order_by=[order_by] if order_by else None,
                                       max_results=limit or 100_000)
