"""Sweeps: a run's exported notebook re-executed once per point of a grid of params.

Light on purpose: :mod:`nbtrack` re-exports :func:`sweep` from here at import time, so
nbclient, dask, pandas and the store load only when a sweep runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

if TYPE_CHECKING:
    from ..store import Store
    from .result import SweepResult

__all__ = ["sweep"]


def sweep(run_or_cell: Any, grid: Mapping[str, Sequence[Any] | Any], *,
          engine: str = "local", jobs: int | None = None, scheduler: str | None = None,
          store: Store | None = None, progress: bool = True) -> SweepResult:
    """Re-execute a run once per point of a grid, each point a child run of it.

    The run's exported notebook (see :func:`nbtrack.export`) runs in a fresh kernel per
    point, with the point's values injected after its parameters cell (papermill's
    convention). Every point's run has the source run as its parent and carries the
    tags ``sweep`` (the sweep's id) and ``sweep_point`` (its index). A point that fails
    is recorded FAILED with its error and the sweep goes on. Ctrl-C cancels the points
    not started, interrupts the running ones (their runs end INTERRUPTED), shuts their
    kernels down and raises KeyboardInterrupt. In a notebook the comparison view of the
    sweep's runs opens at the end.

    Parameters
    ----------
    run_or_cell : str, Run or None
        The run to sweep: an id or unique prefix, a Run, or a cell id (its newest run);
        None for the run that ended last in this process.
    grid : dict
        Param name -> list of values (a single value counts as a list of one); the
        sweep runs the Cartesian product. Each name must be a param the run's cell
        set as a literal.
    engine : {"local", "dask"}
        ``local``: parallel kernels on this machine. ``dask``: tasks on a
        dask.distributed cluster (``pip install 'nbtrack[dask]'``).
    jobs : int, optional
        Points run at once: kernels of the local engine, workers of the LocalCluster
        the dask engine starts when no scheduler is given. Default: the number of
        cores, at most the number of points. Ignored with a ``scheduler``.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); its workers need
        nbtrack and the notebook's packages. Without it a LocalCluster of ``jobs``
        workers is started for the sweep and closed after it.
    store : Store, optional
        The store holding the run (default: the one nbtrack records into). Points
        record there; a point that ran where an embedded store cannot be written
        (a worker on another machine) sends its run back to be written here.
    progress : bool
        Show a progress bar.

    Returns
    -------
    SweepResult
        ``.runs`` (a DataFrame, one row per point), ``.finished``, ``.failed``,
        ``.cancelled``, ``.points``, ``.compare()``.

    Raises
    ------
    InvalidValueError
        For a bad grid, a name the run has no param for (the message lists its params),
        an unknown engine, or bad ``jobs``.
    ExportError
        When the run was not made by a ``%%track`` cell.
    ReproductionError
        When dask is not installed for ``engine="dask"``, the scheduler cannot be
        reached, or the store is in memory (a kernel cannot write to it).

    Examples
    --------
    >>> result = nbtrack.sweep("r-6fegfw1t", {"C": [0.1, 1, 10], "max_depth": range(2, 9)})
    ... # doctest: +SKIP
    >>> result.runs.sort_values("metrics.acc").tail(1)  # doctest: +SKIP
    """
    from ..api_common import tracker
    from .driver import run_sweep

    result = run_sweep(tracker(), run_or_cell, grid, engine=engine, jobs=jobs, scheduler=scheduler,
                       store=store, progress=progress)
    _open_comparison(result, store)
    return result


def _open_comparison(result: SweepResult, store: Store | None) -> None:
    """Show the comparison of the sweep's runs when running in a notebook's kernel."""
    import sys

    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or getattr(shell, "kernel", None) is None or not result.run_ids:
        return
    from IPython.display import display

    from ..api_common import tracker
    from ..views.compare import CompareView, compare_runs

    if store is None:
        display(compare_runs(tracker(), result.run_ids))
    else:
        from ..filters import by_ids

        display(CompareView(store, by_ids(result.run_ids), None))
