"""``nbtrack.evaluate`` next to ``mlflow.models.evaluate``: the same fitted model, the
same 100,000 rows.

Run with the benchmark's Python (``bench/.venv/bin/python bench/evaluate_compare.py``;
it holds MLflow and this repository). Each measurement is a fresh process (``--one
SYSTEM``), the two systems interleaved, ``--repeats`` of each (3 by default); the
table shows medians and the ratio MLflow time / nbtrack time.

In every process: 100,000 rows of ``make_classification`` (20 features, 10 of them
informative, seed 0) as a DataFrame and a ``LogisticRegression`` fitted on them,
then the system is imported and a run started; not timed. Timed: the evaluation
inside the run plus the run's end (both systems write what they logged by then).

- nbtrack: ``nbtrack.evaluate(model, X, y)`` with its defaults: the classification
  figures, the reliability curve, the confusion matrix, permutation importance.
- MLflow 3: ``mlflow.models.evaluate(model, data, targets="label",
  model_type="classifier")`` with the default evaluator, which adds its plots (ROC,
  precision-recall, lift and calibration curves, the confusion matrix) as PNG files.
  ``log_model_explainability`` is off: nbtrack computes no SHAP values by default. The
  model is logged with ``mlflow.sklearn.log_model`` and loaded as a pyfunc model before
  timing, so neither side's time includes reading the model from its store.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROWS, FEATURES = 100_000, 20
SYSTEMS = ("nbtrack", "mlflow")
#: headline figures both systems report, under each one's name
SAME_FIGURES = {"accuracy": ("accuracy", "accuracy_score"), "f1": ("f1", "f1_score"),
                "roc_auc": ("roc_auc", "roc_auc"), "log_loss": ("log_loss", "log_loss")}


def _data():
    import pandas as pd
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    X, y = make_classification(n_samples=ROWS, n_features=FEATURES, n_informative=10,
                               random_state=0)
    X = pd.DataFrame(X, columns=[f"f{i}" for i in range(FEATURES)])
    return X, y, LogisticRegression(max_iter=1000).fit(X, y)


def _nbtrack(folder: str, X, y, model) -> dict:
    os.environ["NBTRACK_STORE"] = os.path.join(folder, ".nbtrack")
    started = time.perf_counter()
    import nbtrack

    imported = time.perf_counter() - started
    with nbtrack.start_run(name="evaluate") as run:
        started = time.perf_counter()
        result = nbtrack.evaluate(model, X, y)
    took = time.perf_counter() - started
    stored = nbtrack.get_run(run.run_id)
    return {"import_s": imported, "evaluate_s": took, "metrics": len(stored.metrics),
            "artifacts": sorted(a.name for a in stored.artifacts),
            "figures": {k: result.metrics[ours] for k, (ours, _) in SAME_FIGURES.items()}}


def _mlflow(folder: str, X, y, model) -> dict:
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    started = time.perf_counter()
    import mlflow

    imported = time.perf_counter() - started
    logging.disable(logging.WARNING)  # the store's migrations and evaluate log at INFO
    mlflow.set_tracking_uri(f"sqlite:///{folder}/mlflow.db")
    data = X.assign(label=y)
    with mlflow.start_run() as run:
        logged = mlflow.sklearn.log_model(model, name="model")
        loaded = mlflow.pyfunc.load_model(logged.model_uri)
        started = time.perf_counter()
        result = mlflow.models.evaluate(
            loaded, data, targets="label", model_type="classifier", evaluators="default",
            evaluator_config={"log_model_explainability": False})
    took = time.perf_counter() - started
    stored = mlflow.get_run(run.info.run_id)
    artifacts = mlflow.artifacts.list_artifacts(run_id=run.info.run_id)
    return {"import_s": imported, "evaluate_s": took, "metrics": len(stored.data.metrics),
            "artifacts": sorted(a.path for a in artifacts),
            "figures": {k: result.metrics[theirs] for k, (_, theirs) in SAME_FIGURES.items()}}


def one(system: str) -> dict:
    """One measurement in this process."""
    X, y, model = _data()
    with tempfile.TemporaryDirectory() as folder:
        return (_nbtrack if system == "nbtrack" else _mlflow)(folder, X, y, model)


def _spawn(system: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--one", system],
                          capture_output=True, text=True, timeout=900, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{system} failed: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--one", choices=SYSTEMS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    for system in SYSTEMS:  # untimed: both systems' modules compiled before timing
        _spawn(system)
    found: dict[str, list[dict]] = {s: [] for s in SYSTEMS}
    for i in range(args.repeats):
        for system in SYSTEMS if i % 2 == 0 else SYSTEMS[::-1]:
            found[system].append(_spawn(system))
            print(f"  {system}: {found[system][-1]['evaluate_s']:.3f} s", file=sys.stderr)
    medians = {s: statistics.median(m["evaluate_s"] for m in found[s]) for s in SYSTEMS}
    imports = {s: statistics.median(m["import_s"] for m in found[s]) for s in SYSTEMS}
    print(f"{ROWS:,} rows x {FEATURES} features, LogisticRegression; median of "
          f"{args.repeats} fresh processes each\n")
    print("| | nbtrack.evaluate | mlflow.models.evaluate | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| evaluate + end of run | {medians['nbtrack']:.3f} s | {medians['mlflow']:.3f} s "
          f"| {medians['mlflow'] / medians['nbtrack']:.1f}x |")
    each = {s: ", ".join(f"{m['evaluate_s']:.3f}" for m in found[s]) for s in SYSTEMS}
    print(f"| each process (s) | {each['nbtrack']} | {each['mlflow']} | |")
    print(f"| import (not in the time above) | {imports['nbtrack']:.3f} s "
          f"| {imports['mlflow']:.3f} s | |")
    print(f"| metrics logged | {found['nbtrack'][0]['metrics']} "
          f"| {found['mlflow'][0]['metrics']} | |")
    print(f"| artifacts | {', '.join(found['nbtrack'][0]['artifacts'])} "
          f"| {', '.join(found['mlflow'][0]['artifacts'])} | |")
    for name in SAME_FIGURES:
        ours, theirs = found["nbtrack"][0]["figures"][name], found["mlflow"][0]["figures"][name]
        print(f"| {name} | {ours:.6f} | {theirs:.6f} | |")


if __name__ == "__main__":
    main()
