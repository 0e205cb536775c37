"""The Dask engine: points run as tasks on a ``dask.distributed`` cluster.

Each task starts the point's kernel on its worker. Without a scheduler address a
``LocalCluster`` of ``jobs`` single-threaded worker processes is started for the
sweep and closed after it. A cancelled sweep sets a cluster-wide event that every
task watches: the ones not started return at once, the running ones interrupt their
kernels.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Sequence

from ..errors import ReproductionError
from .point import CANCELLED, PointOutcome, PointSpec, run_point

__all__ = ["run_dask", "import_distributed"]

#: Seconds a cancelled sweep waits for its running tasks to report before dropping them.
_DRAIN = 60.0
#: Seconds a worker caches the answer to "was the sweep cancelled?".
_RECHECK = 1.0


def import_distributed() -> Any:
    """The ``distributed`` module, or a one-line error saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise ReproductionError("the dask engine needs dask.distributed; install it with "
                                "pip install 'nbtrack[dask]'") from None
    return distributed


def dask_point(spec: PointSpec, index: int, values: dict[str, Any],
               event_name: str) -> PointOutcome:
    """Run one point on a worker, watching the sweep's cancel event."""
    from distributed import Event

    event = Event(event_name)
    last = [0.0, False]

    def cancelled() -> bool:
        now = time.monotonic()
        if now - float(last[0]) >= _RECHECK:
            last[0], last[1] = now, bool(event.is_set())
        return bool(last[1])

    return run_point(spec, index, values, cancelled)


def run_dask(spec: PointSpec, tasks: Sequence[tuple[int, dict[str, Any]]], jobs: int,
             scheduler: str | None, on_done: Callable[[PointOutcome], None]) -> None:
    """Run every point on a Dask cluster, telling ``on_done`` as each ends.

    Parameters
    ----------
    spec : PointSpec
    tasks : list of (index, values)
    jobs : int
        Workers of the LocalCluster started when no ``scheduler`` is given.
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``); its workers need nbtrack
        and the notebook's packages installed.
    on_done : callable

    Raises
    ------
    ReproductionError
        When dask.distributed is not installed or the scheduler cannot be reached.
    KeyboardInterrupt
        Again, after cancelling the points and hearing from the running ones.
    """
    distributed = import_distributed()
    cluster = None
    try:
        if scheduler:
            try:
                client = distributed.Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise ReproductionError(f"cannot reach the Dask scheduler at {scheduler}: "
                                        f"{exc}; check the address (tcp://host:8786)") from None
        else:
            cluster = distributed.LocalCluster(
                n_workers=max(1, jobs), threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=logging.ERROR)
            client = distributed.Client(cluster)
    except BaseException:
        if cluster is not None:
            cluster.close()
        raise
    try:
        _submit_all(distributed, client, spec, tasks, on_done)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _submit_all(distributed: Any, client: Any, spec: PointSpec,
                tasks: Sequence[tuple[int, dict[str, Any]]],
                on_done: Callable[[PointOutcome], None]) -> None:
    event_name = f"nbtrack-{spec.sweep_id}-cancel"
    event = distributed.Event(event_name, client=client)
    futures = {client.submit(dask_point, spec, index, values, event_name, pure=False,
                             key=f"nbtrack-{spec.sweep_id}-{index}"): (index, values)
               for index, values in tasks}
    reported: set[Any] = set()
    try:
        for future in distributed.as_completed(list(futures)):
            reported.add(future)
            on_done(_outcome(future, futures[future]))
    except KeyboardInterrupt:
        event.set()
        left = [f for f in futures if f not in reported]
        try:
            distributed.wait(left, timeout=_DRAIN)
        except TimeoutError:  # the ones still running are dropped below
            pass
        for future in left:
            if future.done():
                on_done(_outcome(future, futures[future]))
            else:
                index, values = futures[future]
                on_done(PointOutcome(index, dict(values), CANCELLED))
        client.cancel(left)
        raise
    finally:
        try:
            event.clear()
        except Exception:  # the client is closing anyway
            pass


def _outcome(future: Any, task: tuple[int, dict[str, Any]]) -> PointOutcome:
    index, values = task
    if future.status == "cancelled":
        return PointOutcome(index, dict(values), CANCELLED)
    try:
        result: PointOutcome = future.result()
        return result
    except Exception as exc:  # a worker that died, or a task the cluster refused
        return PointOutcome(index, dict(values), "FAILED",
                            error=f"{type(exc).__name__}: {str(exc) or 'no message'}")
