"""The ``nbtrack`` commands that move runs to and from MLflow: export-mlflow, import-mlflow."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .cli_common import open_for_reading as _open
from .cli_common import progress_for

__all__ = ["add_interop_commands"]


def _print(summary: Any, as_json: bool) -> None:
    print(json.dumps(summary.to_dict(), indent=2) if as_json else summary)


def cmd_export_mlflow(args: argparse.Namespace) -> int:
    """Copy runs into an MLflow tracking store (what is there already is not copied)."""
    from .interop import export_mlflow

    store = _open(args)
    try:
        summary = export_mlflow(store, args.to, args.experiment, args.filter,
                                args.artifact_root, progress_for(args))
    finally:
        store.close()
    _print(summary, args.json)
    return 0


def cmd_import_mlflow(args: argparse.Namespace) -> int:
    """Copy the finished runs of an MLflow tracking store into this store."""
    import os

    from .config import ENV_VAR, find_store_uri
    from .interop import import_mlflow
    from .store import open_store

    store = open_store(args.store or os.environ.get(ENV_VAR, "").strip() or find_store_uri())
    try:
        summary = import_mlflow(store, args.source, args.experiment, progress_for(args))
    finally:
        store.close()
    _print(summary, args.json)
    return 0


def add_interop_commands(sub: Any) -> None:
    """Register ``export-mlflow`` and ``import-mlflow`` on the ``nbtrack`` parser's
    subcommands."""
    export = sub.add_parser(
        "export-mlflow", help="copy runs (params, metric histories, tags, artifacts, "
        "models) into an MLflow tracking store; safe to re-run")
    export.add_argument("--to", required=True, help="MLflow tracking URI, e.g. "
                        "sqlite:///mlflow.db or http://host:5000")
    export.add_argument("--experiment", "-e", help="only this experiment")
    export.add_argument("--filter", "-f", help="only runs matching this filter, e.g. "
                        "\"metrics.acc > 0.9\"")
    export.add_argument("--artifact-root", help="where new MLflow experiments keep artifacts "
                        "(<root>/<experiment>; default: MLflow's own default)")
    export.add_argument("--json", action="store_true", help="print the summary as JSON")
    export.add_argument("--quiet", action="store_true", help="no progress bar")
    export.set_defaults(func=cmd_export_mlflow)

    imp = sub.add_parser(
        "import-mlflow", help="copy the finished runs of an MLflow tracking store into this "
        "store (runs nbtrack exported come back under their own ids); safe to re-run")
    imp.add_argument("--from", dest="source", required=True, help="MLflow tracking URI, e.g. "
                     "sqlite:///mlflow.db or http://host:5000")
    imp.add_argument("--experiment", "-e", help="only this MLflow experiment")
    imp.add_argument("--json", action="store_true", help="print the summary as JSON")
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    imp.set_defaults(func=cmd_import_mlflow)
