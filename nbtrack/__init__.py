"""nbtrack: experiment tracking that lives in the Jupyter notebook.

Put ``%%track`` on a cell (after ``%load_ext nbtrack``) or use the API from
any script::

    import nbtrack
    with nbtrack.start_run(name="baseline", params={"C": 0.5}):
        nbtrack.log_metric("acc", 0.93)
    nbtrack.runs()            # a pandas DataFrame

Importing nbtrack is cheap: the store, pandas and IPython load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping

from ._version import __version__
from .api_common import tracker
from .api_models import (delete_alias, load_model, model_versions, models, register_model,
                         registry_history, resolve, serve, set_alias)
from .api_monitoring import drift, evaluate, log_labels, monitor, set_monitor_rule
from .sweeps import sweep

if TYPE_CHECKING:
    from .entities import Artifact, Run
    from .tracking import ActiveRun

__all__ = [
    "__version__", "start_run", "end_run", "active_run", "set_experiment", "set_store",
    "log_param", "log_params", "log_metric", "log_metrics", "set_tag", "log_artifact",
    "log_model", "log_confusion_matrix", "runs", "get_run", "compare", "export", "reproduce",
    "register_model", "set_alias", "delete_alias", "resolve", "load_model", "models",
    "model_versions", "registry_history", "serve", "drift", "evaluate", "monitor",
    "set_monitor_rule", "log_labels", "sweep",
    "load_ipython_extension",
    "unload_ipython_extension",
]


def start_run(name: str | None = None, experiment: str | None = None,
              params: Mapping[str, Any] | None = None,
              tags: Mapping[str, Any] | None = None) -> ActiveRun:
    """Start a run; use it as a context manager.

    Parameters
    ----------
    name : str, optional
        Human-readable run name.
    experiment : str, optional
        Experiment to record into (default: the one set with :func:`set_experiment`,
        else ``Default``).
    params, tags : dict, optional
        Params and tags to record at the start.

    Returns
    -------
    ActiveRun
        Ends as FINISHED when the ``with`` block completes, FAILED (with the
        traceback) on an exception, INTERRUPTED on KeyboardInterrupt.
    """
    return tracker().start_run(name=name, experiment=experiment, params=params, tags=tags)


def end_run(status: str = "FINISHED") -> None:
    """End the active run (for runs started without ``with``)."""
    from .entities import RunStatus

    tracker().end_run(None, RunStatus(status.upper()))


def active_run() -> ActiveRun | None:
    """The run logging calls currently go to, or None."""
    return tracker().active_run()


def set_experiment(name: str) -> str:
    """Make ``name`` the experiment for new runs and the default for :func:`runs`."""
    return tracker().set_experiment(name)


def set_store(uri: str, artifacts: str | None = None) -> None:
    """Record into the store at ``uri`` (a folder, ``sqlite:///folder``, ``memory:`` or
    ``postgresql://...``); new artifacts go below the fsspec URL ``artifacts`` when given
    (default ``NBTRACK_ARTIFACTS``, else inside the store)."""
    from .store import open_store

    store = open_store(uri, artifacts=artifacts)
    store.reap_dead_runs()
    tracker().use_store(store)


def log_param(key: str, value: Any) -> None:
    """Record one param of the active run."""
    tracker().log_params({key: value})


def log_params(params: Mapping[str, Any]) -> None:
    """Record several params of the active run."""
    tracker().log_params(params)


def log_metric(key: str, value: float, step: int | None = None) -> None:
    """Record a metric value of the active run.

    Parameters
    ----------
    key : str
        Metric name.
    value : float
        Any real number (NaN and infinities are kept).
    step : int, optional
        Position in the metric's history; by default one past the last step
        logged for this metric in this run (0 for the first).
    """
    tracker().log_metric(key, value, step)


def log_metrics(metrics: Mapping[str, float], step: int | None = None) -> None:
    """Record several metric values of the active run at one step."""
    tracker().log_metrics(metrics, step)


def set_tag(key: str, value: Any) -> None:
    """Label the active run."""
    tracker().set_tag(key, value)


def log_artifact(path: str, name: str | None = None) -> list[Artifact]:
    """Copy a file or folder into the store with the active run."""
    return tracker().log_artifact(path, name)


def log_model(model: Any, name: str = "model") -> Artifact:
    """Save a fitted model safely (skops) with the active run."""
    return tracker().log_model(model, name)


def log_confusion_matrix(y_true: Any, y_pred: Any, labels: Any = None,
                         name: str = "confusion_matrix") -> Artifact:
    """Record a confusion matrix of the active run; ``compare`` draws it."""
    return tracker().log_confusion_matrix(y_true, y_pred, labels, name)


def runs(experiment: str | None = None, filter: str | None = None,
         order_by: str | Iterable[str] | None = None, limit: int | None = None) -> Any:
    """Runs as a pandas DataFrame.

    Parameters
    ----------
    experiment : str, optional
        Only this experiment (default: the one set with :func:`set_experiment`,
        else all).
    filter : str, optional
        MLflow filter syntax, e.g. ``"metrics.acc > 0.9 and params.model = 'rf'"``.
    order_by : str or list of str, optional
        E.g. ``"metrics.acc DESC"``; newest first by default.
    limit : int, optional
        At most this many rows.

    Returns
    -------
    pandas.DataFrame
        Columns ``run_id, experiment, name, status, start_time, end_time,
        duration, params.*, metrics.*, tags.*``.
    """
    return tracker().runs(experiment, filter, order_by, limit)


def get_run(run_id: str) -> Run:
    """A run by id or any unique prefix of 4+ characters."""
    return tracker().get_run(run_id)


def compare(runs: Any = None, filter: str | None = None) -> Any:
    """Runs side by side: a table with the params that differ highlighted, and charts.

    Parameters
    ----------
    runs : ids, DataFrame, filter string or None
        Run ids or prefixes, a ``runs()`` DataFrame, a filter, or None for every run
        of the active experiment.
    filter : str, optional
        Filter applied on top.

    Returns
    -------
    CompareView
        In a notebook: a live widget (sort, filter, pages, selection charts) and a static
        HTML/PNG copy that renderers without widgets show; elsewhere a text table.
    """
    from .views.compare import compare_runs

    return compare_runs(tracker(), runs, filter)


def export(run: str, path: str, force: bool = False) -> Any:
    """Write a standalone notebook (and pinned requirements) that re-creates a run.

    Parameters
    ----------
    run : str
        Run id or unique prefix (a run made by a ``%%track`` cell).
    path : str
        The ``.ipynb`` file to write, or an existing folder to write
        ``<run name or id>.ipynb`` into.
    force : bool
        Overwrite the notebook and its requirements file if they exist (without it, an
        existing file is an :class:`~nbtrack.errors.ExportError`).

    Returns
    -------
    ExportResult
        Paths written, the history cells included and any hidden-state warnings.
    """
    from .repro.notebook import export_run

    return export_run(tracker().store, run, path, force)


def reproduce(run: str, tolerance: float = 1e-9) -> Any:
    """Re-execute a run's exported notebook in a fresh kernel and compare its metrics.

    The new run is recorded with the original as its parent.

    Parameters
    ----------
    run : str
        Run id or unique prefix.
    tolerance : float
        Relative and absolute tolerance under which a changed metric still matches.

    Returns
    -------
    Reproduction
        Per-metric verdicts (equal, within tolerance, differs, missing); ``.ok``.
    """
    from .repro.rerun import reproduce_run

    return reproduce_run(tracker().store, run, tolerance)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where ``jupyter labextension develop`` finds the built JupyterLab extension."""
    return [{"src": "labextension", "dest": "nbtrack"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """Where jupyter_server finds the server extension."""
    return [{"module": "nbtrack.server"}]


def load_ipython_extension(ipython: Any) -> None:
    """Called by ``%load_ext nbtrack``."""
    from .extension import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Called by ``%unload_ext nbtrack``."""
    from .extension import unload_ipython_extension as unload

    unload(ipython)
