"""Export a run as a standalone notebook that re-creates it.

The notebook holds: a header (run, metrics, environment, hidden-state warnings); a
set-up cell; the earlier cells the run's cell depends on, traced through the session
history; a ``parameters`` cell (papermill's convention) with the run's params;
the run's cell itself under ``%%track --parent <run>``, with its literal param
assignments moved to the parameters cell; and a check cell comparing the new
metrics with the recorded ones. A requirements file pinned to the captured
package versions is written next to it.
"""

from __future__ import annotations

import ast
import math
import os
import re
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._version import __version__
from ..cell_record import CellRecord
from ..entities import Run
from ..errors import ExportError
from ..analysis.slicing import dependency_slice, exported_source
from ..store import Store

__all__ = ["ExportResult", "export_run", "literal_source"]


@dataclass(repr=False)
class ExportResult:
    """What :func:`export_run` wrote."""

    notebook: Path
    requirements: Path
    cells: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return str(self)

    def __str__(self) -> str:
        text = f"exported to {self.notebook} (requirements: {self.requirements.name})"
        for warning in self.warnings:
            text += f"\n  warning: {warning}"
        return text


def literal_source(value: Any) -> str | None:
    """Python source that evaluates to ``value``, or None when there is none."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    text = repr(value)
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return text


def _parameters(run: Run) -> dict[str, str]:
    import keyword

    out = {}
    for key, value in run.params.items():
        if key.isidentifier() and not keyword.iskeyword(key):
            text = literal_source(value)
            if text is not None:
                out[key] = text
    return out


def _move_params_out(body: str, names: set[str]) -> str:
    """Comment out the body's top-level literal assignments of parameters."""
    try:
        tree = ast.parse(body)
    except SyntaxError:
        return body  # IPython syntax in the body: leave it as it ran
    lines = body.splitlines()
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name) and node.targets[0].id in names:
            try:
                ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError):
                continue
            for i in range(node.lineno - 1, node.end_lineno or node.lineno):
                lines[i] = "# " + lines[i] + ("  # set in the parameters cell"
                                              if i == node.lineno - 1 else "")
    return "\n".join(lines)


def _header(run: Run, record: CellRecord, warnings: list[str]) -> str:
    env = record.environment or {}
    git = env.get("git") or {}
    lines = [f"# Re-creating run `{run.run_id}`" + (f" ({run.name})" if run.name else ""), "",
             f"Exported by nbtrack from experiment **{run.experiment}**; the run started "
             f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(run.start_time))} and ended "
             f"{run.status.value}.", ""]
    if run.metrics:
        lines += ["| metric | recorded |", "|---|---:|"]
        lines += [f"| {k} | {v:.6g} |" for k, v in run.metrics.items()]
        lines.append("")
    if env:
        lines.append(f"Environment: Python {env.get('python')} on {env.get('platform')}"
                     + (f", git {str(git.get('commit'))[:10]}"
                        f"{' (uncommitted changes)' if git.get('dirty') else ''}" if git else "")
                     + "; pinned packages are in the requirements file next to this notebook.")
        lines.append("")
    if warnings:
        lines.append("**This run may not be reproducible from its history:**")
        lines += [f"- {w}" for w in warnings]
    else:
        lines.append("Every name the run's cell used was traced to the cells below.")
    return "\n".join(lines)


_CHECK = """# Compare this run with the recorded one
import math
import os
import re
import nbtrack

recorded = RECORDED
timing = TIMING  # timing figures are shown, never judged
tolerance = 1e-9
new = nbtrack.get_run(nbtrack.tracker().last_run_id)
print(f"{'metric':<24} {'recorded':>14} {'now':>14}  verdict")
for key, before in recorded.items():
    after = new.metrics.get(key)
    if after is None:
        verdict = "missing"
    elif key in timing:
        verdict = "timing"
    elif after == before or (math.isnan(after) and math.isnan(before)):
        verdict = "equal"
    elif math.isclose(after, before, rel_tol=tolerance, abs_tol=tolerance):
        verdict = "within tolerance"
    else:
        verdict = "differs"
    now = "" if after is None else format(after, ".6g")
    print(f"{key:<24} {before:>14.6g} {now:>14}  {verdict}")"""


def export_target(run: Run, path: str | Path, force: bool = False) -> Path:
    """The notebook file an export of ``run`` to ``path`` writes.

    A folder (one that exists, or a path ending in a slash) means ``<run name or id>.ipynb``
    inside it; the folder must exist, and an existing file is replaced only with ``force``.

    Raises
    ------
    ExportError
        For a folder that does not exist, a file that is not ``.ipynb``, or a file (the
        notebook or its requirements) that exists already while ``force`` is false.
    """
    text = str(path)
    target = Path(path)
    if target.is_dir() or text.endswith(("/", os.sep)):
        stem = re.sub(r"[^\w.-]+", "-", run.name or "").strip("-.") or run.run_id
        target = target / f"{stem}.ipynb"
    if target.suffix != ".ipynb":
        raise ExportError(f"cannot export to {text}: give a notebook path ending in .ipynb, "
                          "or a folder to write <run name>.ipynb into")
    if not target.parent.is_dir():
        raise ExportError(f"cannot export to {text}: the folder {target.parent} does not "
                          "exist; create it first")
    if not force:
        for existing in (target, _requirements_path(target)):
            if existing.exists():
                raise ExportError(f"{existing} exists already; choose another name, or "
                                  "overwrite it with --force (force=True)")
    return target


def _requirements_path(notebook: Path) -> Path:
    return notebook.with_name(notebook.stem + "-requirements.txt")


def export_run(store: Store, run_id: str, path: str | Path, force: bool = False) -> ExportResult:
    """Write the notebook (and its requirements file) that re-creates a run.

    Parameters
    ----------
    store : Store
    run_id : str
        Id or unique prefix.
    path : str or Path
        The ``.ipynb`` to write, or an existing folder to write ``<run name or id>.ipynb``
        into.
    force : bool
        Replace the notebook (and its requirements) if they exist.

    Raises
    ------
    ExportError
        When the run was not recorded from a notebook cell, or for a path
        :func:`export_target` refuses.
    """
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    run = store.get_run(run_id)
    record = run.record
    body = record.source
    if body is None:
        raise ExportError(f"run {run.run_id} was not recorded from a %%track cell, so there is "
                          "no code to export; export a run made by a tracked cell")
    target = export_target(run, path, force)
    params = _parameters(run)
    traced = dependency_slice(list(record.history or ()), body, frozenset(params))
    warnings = sorted(set(record.hidden_state or ()) | set(traced.hidden.values()))

    cells = [new_markdown_cell(_header(run, record, warnings))]
    setup = "%load_ext nbtrack\n%track experiment " + shlex.quote(run.experiment)
    cells.append(new_code_cell(setup))
    for cell in traced.cells:
        source = exported_source(cell["source"]).strip("\n")
        code = new_code_cell(source)
        code.metadata["nbtrack"] = {"history_cell": cell["n"]}
        cells.append(code)
    # right before the run's cell: an earlier cell that happens to bind a param's name
    # (a loop over ``n_neighbors``) must not undo it
    parameters = new_code_cell("\n".join(f"{k} = {v}" for k, v in params.items())
                               or "# this run had no params")
    parameters.metadata["tags"] = ["parameters"]
    cells.append(parameters)
    options = ["--parent", run.run_id]
    if params:
        # they now come from the parameters cell, not from literals in this cell
        options = ["--params", ",".join(params)] + options
    if run.name:
        options = ["--name", run.name] + options
    tracked = new_code_cell("%%track " + " ".join(shlex.quote(o) for o in options) + "\n"
                            + _move_params_out(body.strip("\n"), set(params)))
    tracked.metadata["nbtrack"] = {"run_cell": True}
    cells.append(tracked)
    recorded = "{" + ", ".join(f"{k!r}: {literal_source(v)}" for k, v in run.metrics.items()) + "}"
    timing = "{" + ", ".join(repr(k) for k in sorted(record.timing or ())) + "}" \
        if record.timing else "set()"
    cells.append(new_code_cell(_CHECK.replace("RECORDED", recorded).replace("TIMING", timing)))

    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["nbtrack"] = {"run_id": run.run_id, "exported": time.time(),
                              "history_cells": [c["n"] for c in traced.cells],
                              "hidden_state": warnings}
    nbformat.write(nb, target)
    environment = record.environment or {}
    packages = dict(environment.get("packages") or {})
    # the exported notebook runs %load_ext nbtrack: it needs nbtrack itself
    packages.setdefault("nbtrack", environment.get("nbtrack") or __version__)
    requirements = _requirements_path(target)
    requirements.write_text("".join(f"{name}=={version}\n" for name, version in packages.items()))
    return ExportResult(target, requirements, [c["n"] for c in traced.cells], warnings)


