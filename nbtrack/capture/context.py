"""Where and how a cell ran: its identity, the session's history, the notebook,
papermill parameters and the resources it used."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from ..analysis.cells import NOT_LITERAL, analyze, code_key

__all__ = ["cell_identity", "execution_history", "notebook_path", "papermill_parameters",
           "ResourceMeter", "MAX_HISTORY_CELLS"]

#: At most this many earlier cells are kept with a run.
MAX_HISTORY_CELLS = 300
_PAPERMILL_HEADER = "# Parameters"


def cell_identity(frontend_cell_id: str | None, name: str | None, code: str) -> str:
    """The key that links the runs of one cell.

    The Jupyter cell id when the frontend sent one (JupyterLab, Notebook 7);
    otherwise the run name given with ``--name``; otherwise the code with its
    literal values abstracted, so editing a hyperparameter keeps the identity.
    """
    if frontend_cell_id:
        return str(frontend_cell_id)
    if name:
        return f"name-{name}"
    return code_key(code)


def execution_history(inputs: Sequence[str], current: int) -> list[dict[str, Any]]:
    """The cells executed before this one in the session, oldest first."""
    first = max(1, current - MAX_HISTORY_CELLS)
    return [{"n": n, "source": inputs[n]} for n in range(first, min(current, len(inputs)))
            if inputs[n].strip()]


def notebook_path(namespace: Mapping[str, Any]) -> str | None:
    """The notebook's path when the frontend told the kernel.

    JupyterLab and Notebook 7 do (``__session__``, from ``JPY_SESSION_NAME``), and
    so does VS Code (``__vsc_ipynb_file__``); nbclient, nbconvert and papermill do not.
    """
    for session in (namespace.get("__session__"), namespace.get("__vsc_ipynb_file__"),
                    os.environ.get("JPY_SESSION_NAME")):
        if session and str(session).endswith(".ipynb"):
            return str(session)
    return None


def papermill_parameters(inputs: Sequence[str], namespace: Mapping[str, Any]) -> dict[str, Any]:
    """Names (with their current values) set by the last papermill-injected cell.

    papermill writes its injected cell as ``# Parameters`` followed by one
    assignment per parameter; the kernel only sees code, so that header is
    what identifies it.
    """
    for source in reversed(list(inputs)):
        if source.lstrip().startswith(_PAPERMILL_HEADER):
            names = [n for n, v in analyze(source).literals.items() if v is not NOT_LITERAL]
            return {n: namespace[n] for n in names if n in namespace}
    return {}


@dataclass
class ResourceMeter:
    """Wall time, CPU time and peak memory of a block of code."""

    wall_start: float = 0.0
    cpu_start: float = 0.0

    def start(self) -> ResourceMeter:
        """Start measuring."""
        self.wall_start = time.perf_counter()
        self.cpu_start = time.process_time()
        return self

    def stop(self) -> dict[str, Any]:
        """What was used since :meth:`start`."""
        usage: dict[str, Any] = {
            "wall_time_s": round(time.perf_counter() - self.wall_start, 6),
            "cpu_time_s": round(time.process_time() - self.cpu_start, 6),
        }
        try:
            import resource

            peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            usage["peak_rss_mb"] = round(peak_kb / (1024 * 1024 if sys.platform == "darwin"
                                                    else 1024), 1)
        except (ImportError, OSError):
            pass
        torch = sys.modules.get("torch")
        try:
            if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
                usage["gpu_peak_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
        except Exception:
            pass
        return usage
