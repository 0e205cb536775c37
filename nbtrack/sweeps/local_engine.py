"""The local engine: points run in parallel kernels on this machine.

Each of ``jobs`` threads drives one kernel process at a time through nbclient, so
the points run in parallel while the threads only wait on their kernels.
"""

from __future__ import annotations

import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Callable, Sequence

from .point import CANCELLED, PointOutcome, PointSpec, run_point

__all__ = ["run_local"]

#: Seconds the waiting loop sleeps at most, so Ctrl-C is seen at once.
_TICK = 0.2


def run_local(spec: PointSpec, tasks: Sequence[tuple[int, dict[str, Any]]], jobs: int,
              on_done: Callable[[PointOutcome], None]) -> None:
    """Run every point, ``jobs`` at a time, telling ``on_done`` as each ends.

    On KeyboardInterrupt the points not started are cancelled, the running kernels are
    interrupted (their runs end INTERRUPTED) and shut down, every point is reported,
    and the KeyboardInterrupt is raised again.
    """
    cancel = threading.Event()
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="nbtrack-sweep")
    futures: dict[Future[PointOutcome], tuple[int, dict[str, Any]]] = {
        pool.submit(run_point, spec, index, values, cancel.is_set): (index, values)
        for index, values in tasks}
    pending = set(futures)
    try:
        while pending:
            finished, pending = wait(pending, timeout=_TICK, return_when=FIRST_COMPLETED)
            for future in finished:
                on_done(_outcome(future, futures[future]))
    except KeyboardInterrupt:
        cancel.set()
        for future in pending:
            future.cancel()
        # the running points stop within their grace period; report every point
        for future in pending:
            on_done(_outcome(future, futures[future]))
        raise
    finally:
        cancel.set()
        pool.shutdown(wait=True, cancel_futures=True)


def _outcome(future: Future[PointOutcome], task: tuple[int, dict[str, Any]]) -> PointOutcome:
    index, values = task
    if future.cancelled():
        return PointOutcome(index, dict(values), CANCELLED)
    error = future.exception()
    if error is not None:
        return PointOutcome(index, dict(values), "FAILED",
                            error=f"{type(error).__name__}: {error}")
    return future.result()
