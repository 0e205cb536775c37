"""One point of a sweep: the exported notebook run in a fresh kernel with new params.

This module runs wherever a point runs (a thread of the sweeping process, or a Dask
worker), so what it is given (:class:`PointSpec`) and what it answers
(:class:`PointOutcome`) are plain picklable data. It never raises for a point that
fails: the outcome says how it ended.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .grid import literal_source
from .transfer import RunPayload

__all__ = ["StoreTarget", "PointSpec", "PointOutcome", "run_point", "point_notebook",
           "SWEEP_TAG", "POINT_TAG"]

#: Tags every child run of a sweep carries: the sweep's id and the point's index.
SWEEP_TAG = "sweep"
POINT_TAG = "sweep_point"
#: Statuses of an outcome: a run's status, or CANCELLED for a point that never ran.
CANCELLED = "CANCELLED"
#: Seconds between looks at the cancel signal, and the grace an interrupted cell gets.
_POLL = 0.25
_GRACE = 5.0
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
#: Terminal colour codes, which kernels put into error text.
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: Characters of a failed cell's traceback kept with its point.
_DETAIL = 20_000


@dataclass(frozen=True)
class StoreTarget:
    """The store a point's kernel records into, as the sweeping process sees it.

    Parameters
    ----------
    uri : str
        What the kernel's ``NBTRACK_STORE`` is set to.
    host : str
        The sweeping machine.
    identity : tuple of int, optional
        Device and inode of an embedded store's database file; None for a store on a
        server, which every machine reaches by its URI.
    """

    uri: str
    host: str
    identity: tuple[int, int] | None = None

    def reachable(self) -> bool:
        """True when this process can write to the store itself: a server store, or the
        very database file the sweeping process uses, on the same machine (SQLite must
        not be shared over a network file system)."""
        if self.identity is None:
            return True
        if socket.gethostname() != self.host:
            return False
        try:
            found = os.stat(Path(self.uri) / "nbtrack.db")
        except OSError:
            return False
        return (found.st_dev, found.st_ino) == self.identity and os.access(self.uri, os.W_OK)


@dataclass(frozen=True)
class PointSpec:
    """What every point of one sweep shares.

    Parameters
    ----------
    notebook : str
        The source run's exported notebook (nbformat JSON).
    source_run : str
        The run swept; each point's run is its child.
    sweep_id : str
        Tagged on every child run.
    target : StoreTarget
        Where the points record.
    cwd : str
        The kernels' working folder, where it exists (else a temporary one).
    timeout : int
        Seconds one cell may take.
    threads : int, optional
        Threads each kernel's numerical libraries may use, unless the environment says.
    """

    notebook: str
    source_run: str
    sweep_id: str
    target: StoreTarget
    cwd: str
    timeout: int = 1800
    threads: int | None = None


@dataclass
class PointOutcome:
    """How one point ended.

    ``payload`` carries the point's run when it could not be written to the sweep's
    store where it ran; the sweeping process writes it.
    """

    index: int
    params: dict[str, Any]
    status: str
    run_id: str | None = None
    error: str | None = None
    seconds: float = 0.0
    payload: RunPayload | None = field(default=None, repr=False)
    #: the failed cell's traceback, when no run of the point holds it
    detail: str | None = field(default=None, repr=False)


def point_notebook(notebook: str, sweep_id: str, index: int, values: dict[str, Any]) -> Any:
    """The exported notebook for one point: its params injected after the parameters cell
    (papermill's ``injected-parameters`` convention), the run's cell tagged with the sweep
    and the point and kept quiet, and no check cell (there is no recorded run to match)."""
    import nbformat
    from nbformat.v4 import new_code_cell

    nb = nbformat.reads(notebook, as_version=4)
    tags = [list(c.metadata.get("tags") or ()) for c in nb.cells]
    where = next(i for i, t in enumerate(tags) if "parameters" in t)
    injected = new_code_cell("# injected by the sweep\n" + "\n".join(
        f"{name} = {literal_source(value)}" for name, value in values.items()))
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(where + 1, injected)
    run_at = next(i for i, c in enumerate(nb.cells)
                  if (c.metadata.get("nbtrack") or {}).get("run_cell"))
    cell = nb.cells[run_at]
    first, _, body = cell.source.partition("\n")
    cell.source = (f"{first} --quiet --no-live --tag {SWEEP_TAG}={sweep_id} "
                   f"--tag {POINT_TAG}={index}\n{body}")
    del nb.cells[run_at + 1:]
    return nb


def _kernel_environment(spec: PointSpec, uri: str) -> dict[str, str]:
    env = dict(os.environ)
    env["NBTRACK_STORE"] = uri
    if spec.threads is not None:
        for name in _THREAD_VARIABLES:
            env.setdefault(name, str(spec.threads))
    return env


def _watch(km: Any, cancelled: Callable[[], bool], done: threading.Event) -> None:
    """Interrupt the kernel when the sweep is cancelled (the cell's run ends INTERRUPTED),
    and kill it when it does not stop within the grace period."""
    while not done.wait(_POLL):
        try:
            stop = cancelled()
        except Exception:  # the signal cannot be read (scheduler gone): a cancel too
            stop = True
        if stop:
            break
    else:
        return
    if km.has_kernel:
        try:
            km.interrupt_kernel()
        except Exception:  # the kernel is gone or going: nothing to interrupt
            pass
    if not done.wait(_GRACE) and km.has_kernel:
        try:
            km.shutdown_kernel(now=True)
        except Exception:  # already dead
            pass


def _execute(nb: Any, spec: PointSpec, uri: str, cancelled: Callable[[], bool]) -> str | None:
    """Run the notebook in a fresh kernel; the error that stopped it (one line, then the
    cell's traceback), or None."""
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    work = tempfile.mkdtemp(prefix="nbtrack-sweep-")
    cwd = spec.cwd if os.path.isdir(spec.cwd) else work
    # local sockets: a TCP kernel warns on stderr that its traffic is unencrypted
    km = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(work, "kernel"))
    done = threading.Event()
    watcher = threading.Thread(target=_watch, args=(km, cancelled, done), daemon=True,
                               name="nbtrack-sweep-watch")
    watcher.start()
    try:
        NotebookClient(nb, km=km, timeout=spec.timeout, kernel_name="python3",
                       resources={"metadata": {"path": cwd}}).execute(
            cleanup_kc=True, env=_kernel_environment(spec, uri))
        return None
    except CellExecutionError as exc:
        text = _ANSI.sub("", str(exc)).strip()
        if exc.ename:
            first = exc.ename + (f": {exc.evalue}" if exc.evalue else "")
        else:
            first = text.splitlines()[-1] if text else type(exc).__name__
        return f"{first}\n\n{text[-_DETAIL:]}" if text and text != first else first
    except Exception as exc:  # a kernel that died or could not start fails this point only
        text = str(exc).strip()
        return f"{type(exc).__name__}: {text.splitlines()[0] if text else 'no message'}"
    finally:
        done.set()
        if km.has_kernel:
            try:
                km.shutdown_kernel(now=True)
            except Exception:  # already gone
                pass
        watcher.join()
        shutil.rmtree(work, ignore_errors=True)


def _child(uri: str, spec: PointSpec, index: int) -> tuple[Any, Any]:
    """The store at ``uri`` (None when the kernel never made it) and the point's run in
    it (None when none was recorded); the caller closes the store."""
    from ..filters import parse_filter
    from ..store import open_store

    store = open_store(uri, create=False) if spec.target.identity is None or \
        (Path(uri) / "nbtrack.db").is_file() else None
    if store is None:
        return None, None
    try:
        where = parse_filter(f"parent_run_id = '{spec.source_run}' and "
                             f"tags.{SWEEP_TAG} = '{spec.sweep_id}' and "
                             f"tags.{POINT_TAG} = '{index}'")
        table = store.search(where, limit=1)
        if not len(table):
            return store, None
        return store, store.get_run(table.base["run_id"][0])
    except BaseException:
        store.close()
        raise


def run_point(spec: PointSpec, index: int, values: dict[str, Any],
              cancelled: Callable[[], bool]) -> PointOutcome:
    """Execute one point and say how it ended.

    Parameters
    ----------
    spec : PointSpec
    index : int
        The point's place in the grid (tagged on its run).
    values : dict
        The params to inject.
    cancelled : callable
        Polled while the point runs; once it answers True the point's kernel is
        interrupted (and killed if it does not stop).

    Returns
    -------
    PointOutcome
        FINISHED, FAILED or INTERRUPTED as the point's run ended; FAILED with the error
        when no run was recorded; CANCELLED when the sweep was cancelled first.
    """
    started = time.perf_counter()
    outcome = PointOutcome(index, dict(values), CANCELLED)
    if cancelled():
        return outcome
    private = None if spec.target.reachable() else tempfile.mkdtemp(prefix="nbtrack-point-")
    uri = spec.target.uri if private is None else private
    try:
        nb = point_notebook(spec.notebook, spec.sweep_id, index, values)
        error = _execute(nb, spec, uri, cancelled)
        store, run = _child(uri, spec, index)
        try:
            first, _, detail = (error or "").partition("\n\n")
            if run is not None:
                outcome.run_id, outcome.status = run.run_id, run.status.value
                outcome.error = first if error and run.status.value != "FINISHED" else None
                if private is not None:
                    from .transfer import run_payload

                    outcome.payload = run_payload(store, run.run_id)
            elif not cancelled():
                outcome.status = "FAILED"
                outcome.error = first or "the point's notebook ran but recorded no run"
                outcome.detail = detail or None
        finally:
            if store is not None:
                store.close()
    except Exception as exc:  # whatever went wrong here fails this point, not the sweep
        outcome.status, outcome.error = "FAILED", f"{type(exc).__name__}: {exc}"
    finally:
        if private is not None:
            shutil.rmtree(private, ignore_errors=True)
    outcome.seconds = time.perf_counter() - started
    return outcome
