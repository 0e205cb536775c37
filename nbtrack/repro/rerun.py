"""Re-execute an exported run in a fresh kernel and compare its metrics with the original."""

from __future__ import annotations

import html
import math
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ReproductionError
from ..filters import by_parent
from ..store import Store
from .notebook import export_run

__all__ = ["Reproduction", "Verdict", "reproduce_run"]


@dataclass(frozen=True)
class Verdict:
    """One metric compared."""

    metric: str
    recorded: float
    reproduced: float | None
    verdict: str  # equal, within tolerance, differs, missing, timing (reported, not judged)


@dataclass(repr=False)
class Reproduction:
    """The outcome of re-executing a run."""

    original: str
    new_run: str | None
    tolerance: float
    verdicts: list[Verdict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every metric is equal or within tolerance (timing figures aside)."""
        return all(v.verdict in ("equal", "within tolerance", "timing") for v in self.verdicts)

    def __repr__(self) -> str:
        return str(self)

    def __str__(self) -> str:
        lines = [f"reproduced {self.original} as {self.new_run} "
                 f"({'ok' if self.ok else 'DIFFERS'}; tolerance {self.tolerance:g})",
                 f"  {'metric':<24} {'recorded':>14} {'reproduced':>14}  verdict"]
        for v in self.verdicts:
            now = "" if v.reproduced is None else f"{v.reproduced:>14.6g}"
            lines.append(f"  {v.metric:<24} {v.recorded:>14.6g} {now:>14}  {v.verdict}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        colors = {"equal": "#2e7d32", "within tolerance": "#2e7d32", "differs": "#c62828",
                  "missing": "#c62828", "timing": "#616161"}
        rows = "".join(
            f"<tr><td>{html.escape(v.metric)}</td><td>{v.recorded:.6g}</td>"
            f"<td>{'' if v.reproduced is None else format(v.reproduced, '.6g')}</td>"
            f"<td style='color:{colors[v.verdict]}'>{v.verdict}</td></tr>" for v in self.verdicts)
        return (f"<div><b>{'✔' if self.ok else '✖'} {html.escape(self.original)} → "
                f"{html.escape(str(self.new_run))}</b><table><tr><th>metric</th><th>recorded"
                f"</th><th>reproduced</th><th>verdict</th></tr>{rows}</table></div>")


#: Terminal colour codes, which kernels put into error text.
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _verdict(before: float, after: float | None, tolerance: float, timing: bool = False) -> str:
    if after is None:
        return "missing"
    if timing:
        return "timing"
    if after == before or (math.isnan(after) and math.isnan(before)):
        return "equal"
    if math.isclose(after, before, rel_tol=tolerance, abs_tol=tolerance):
        return "within tolerance"
    return "differs"


def reproduce_run(store: Store, run_id: str, tolerance: float = 1e-9,
                  progress: bool = True, timeout: int = 1800) -> Reproduction:
    """Export a run, execute the notebook in a fresh kernel, record and compare the result.

    Parameters
    ----------
    store : Store
        A store in a folder (the new kernel writes its run there).
    run_id : str
        Id or unique prefix of the run to reproduce.
    tolerance : float
        Relative and absolute tolerance for "within tolerance".
    progress : bool
        Print one line per executed cell.
    timeout : int
        Seconds a cell may take.

    Raises
    ------
    ReproductionError
        When a cell of the exported notebook fails.
    """
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    folder = store.folder
    if folder is None:
        raise ReproductionError("reproduce needs a store in a folder (a fresh kernel must "
                                "write to it); set NBTRACK_STORE to a folder")
    original = store.get_run(run_id)
    with tempfile.TemporaryDirectory(prefix="nbtrack-reproduce-") as work:
        exported = export_run(store, original.run_id, Path(work) / "reproduce.ipynb")
        nb = nbformat.read(exported.notebook, as_version=4)
        total = len([c for c in nb.cells if c.cell_type == "code"])
        done = [0]

        def on_cell_executed(cell: Any, cell_index: int, **_: Any) -> None:
            if progress and cell.cell_type == "code":
                done[0] += 1
                bar = "#" * (20 * done[0] // total)
                print(f"\rreproducing {original.run_id} [{bar:<20}] {done[0]}/{total} cells",
                      end="" if done[0] < total else "\n", file=sys.stderr, flush=True)

        previous = os.environ.get("NBTRACK_STORE")
        os.environ["NBTRACK_STORE"] = str(folder)
        # local sockets: a TCP kernel warns on stderr that its traffic is unencrypted;
        # nbclient cleans up a kernel manager it was handed only when told to
        km = KernelManager(kernel_name="python3", transport="ipc",
                           ip=os.path.join(work, "kernel"))
        try:
            NotebookClient(nb, km=km, timeout=timeout, kernel_name="python3",
                           resources={"metadata": {"path": work}},
                           on_cell_executed=on_cell_executed).execute(cleanup_kc=True)
        except CellExecutionError as exc:
            text = _ANSI.sub("", str(exc)).strip()
            first = text.splitlines()[-1] if text else type(exc).__name__
            raise ReproductionError(f"the exported notebook failed: {first}") from None
        finally:
            if km.has_kernel:
                km.shutdown_kernel()
            if previous is None:
                os.environ.pop("NBTRACK_STORE", None)
            else:
                os.environ["NBTRACK_STORE"] = previous
    table = store.search(by_parent(original.run_id),
                         limit=1)
    new_id = table.base["run_id"][0] if len(table) else None
    new_metrics = store.get_run(new_id).metrics if new_id else {}
    timing = set(original.record.timing or ())
    verdicts = [Verdict(k, v, new_metrics.get(k),
                        _verdict(v, new_metrics.get(k), tolerance, k in timing))
                for k, v in original.metrics.items()]
    return Reproduction(original.run_id, new_id, tolerance, verdicts, exported.warnings)
