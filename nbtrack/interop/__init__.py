"""Interop with other trackers: export runs to and import runs from MLflow.

``export_mlflow(store, "sqlite:///mlflow.db")`` and ``import_mlflow(store, uri)`` work
through MLflow's own client, which is imported only when one of them is called (install
it with ``pip install 'nbtrack[mlflow]'``).
"""

from __future__ import annotations

from .mlflow_common import InteropSummary
from .mlflow_export import export_mlflow
from .mlflow_import import import_mlflow

__all__ = ["export_mlflow", "import_mlflow", "InteropSummary"]
