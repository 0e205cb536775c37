"""What the real MLflow answers to search cases, for the filter conformance suite.

Run with the Python that has MLflow installed (not nbtrack's test environment):
reads ``{"runs": [...], "cases": [...]}`` as JSON on stdin, records the runs in a
fresh MLflow SQLite store, and prints, for each case, the names of the matching
runs in MLflow's order, or MLflow's error message.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile


def main() -> None:
    spec = json.load(sys.stdin)
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import logging

    logging.disable(logging.WARNING)  # the store's migrations log at INFO and WARNING
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    with tempfile.TemporaryDirectory() as folder:
        client = MlflowClient(f"sqlite:///{folder}/mlflow.db")
        experiment = client.create_experiment("conformance")
        for run in spec["runs"]:
            start_ms = int(run["start_time"] * 1000)
            created = client.create_run(experiment, start_time=start_ms, run_name=run["name"],
                                        tags=run["tags"])
            run_id = created.info.run_id
            for key, value in run["params"].items():
                client.log_param(run_id, key, value)
            for key, value in run["metrics"].items():
                client.log_metric(run_id, key, value, timestamp=start_ms, step=0)
            if run["status"] != "RUNNING":
                client.set_terminated(run_id, run["status"], end_time=start_ms + 1500)
        answers = []
        for case in spec["cases"]:
            try:
                found = client.search_runs([experiment], case["filter"],
                                           order_by=case["order_by"] or None,
                                           max_results=1000)
                answers.append({"runs": [r.info.run_name for r in found]})
            except MlflowException as exc:
                answers.append({"error": exc.message.splitlines()[0]})
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
