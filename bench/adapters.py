"""The same tracking operations, spelled for nbtrack and for MLflow.

Each adapter is used by one fresh process; it owns a private store in ``folder``.
"""

from __future__ import annotations

import os
from typing import Any


class NbtrackAdapter:
    """nbtrack with its embedded store in ``folder``."""

    name = "nbtrack"

    def __init__(self, folder: str) -> None:
        os.environ["NBTRACK_STORE"] = os.path.join(folder, ".nbtrack")
        import nbtrack

        self.nb = nbtrack

    def warm_up(self) -> None:
        """Open the store (schema creation is not what is measured)."""
        self.nb.tracker().store

    def start_run(self) -> Any:
        return self.nb.start_run()

    def end_run(self, run: Any) -> None:
        run.__exit__(None, None, None)

    def log_metric(self, key: str, value: float, step: int) -> None:
        self.nb.log_metric(key, value, step)

    def log_params(self, params: dict[str, Any]) -> None:
        self.nb.log_params(params)

    def log_metrics(self, metrics: dict[str, float]) -> None:
        self.nb.log_metrics(metrics)

    def log_model(self, model: Any) -> None:
        self.nb.log_model(model)

    def populate(self, runs: list[tuple[dict[str, Any], dict[str, float]]]) -> None:
        for params, metrics in runs:
            with self.nb.start_run(params=params):
                self.nb.log_metrics(metrics)

    def search(self, filter_text: str | None, order_by: str | None) -> Any:
        return self.nb.runs(filter=filter_text, order_by=order_by)


class MlflowAdapter:
    """MLflow with its default SQLite store (``sqlite:///<folder>/mlflow.db``)."""

    name = "mlflow"

    def __init__(self, folder: str) -> None:
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        import mlflow

        self.mlflow = mlflow
        mlflow.set_tracking_uri(f"sqlite:///{folder}/mlflow.db")

    def warm_up(self) -> None:
        """Create the database and the experiment (migrations are not what is measured)."""
        self.mlflow.set_experiment("bench")
        self.experiment_id = self.mlflow.get_experiment_by_name("bench").experiment_id

    def start_run(self) -> Any:
        return self.mlflow.start_run()

    def end_run(self, run: Any) -> None:
        self.mlflow.end_run()

    def log_metric(self, key: str, value: float, step: int) -> None:
        self.mlflow.log_metric(key, value, step=step)

    def log_params(self, params: dict[str, Any]) -> None:
        self.mlflow.log_params(params)

    def log_metrics(self, metrics: dict[str, float]) -> None:
        self.mlflow.log_metrics(metrics)

    def log_model(self, model: Any) -> None:
        import mlflow.sklearn

        mlflow.sklearn.log_model(model, name="model")

    def populate(self, runs: list[tuple[dict[str, Any], dict[str, float]]]) -> None:
        # the client's batch call: far faster than the fluent API, and population is not timed
        from mlflow.entities import Metric, Param
        from mlflow.tracking import MlflowClient

        client = MlflowClient()
        for params, metrics in runs:
            run = client.create_run(self.experiment_id)
            run_id = run.info.run_id
            client.log_batch(run_id, params=[Param(k, str(v)) for k, v in params.items()],
                             metrics=[Metric(k, v, 0, 0) for k, v in metrics.items()])
            client.set_terminated(run_id)

    def search(self, filter_text: str | None, order_by: str | None) -> Any:
        return self.mlflow.search_runs(experiment_ids=[self.experiment_id],
                                       filter_string=filter_text or "",
                                       order_by=[order_by] if order_by else None,
                                       max_results=100_000)


ADAPTERS = {"nbtrack": NbtrackAdapter, "mlflow": MlflowAdapter}
