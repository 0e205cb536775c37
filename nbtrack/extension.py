"""``%load_ext nbtrack``: register the magics and follow which cell is running."""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass, field
from typing import Any

__all__ = ["load_ipython_extension", "unload_ipython_extension", "SessionState"]


@dataclass
class SessionState:
    """What the magics know about the kernel session."""

    cell_id: str | None = None
    last_run_id: str | None = None
    #: Every cell executed since the extension was loaded, including those run with
    #: store_history=False (nbval does that), which never reach ``In``.
    executed: list[str] = field(default_factory=list)


_loaded: dict[int, tuple[SessionState, Any, Any]] = {}


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%track`` / ``%%track`` and print one status line."""
    from .errors import NbtrackWarning
    from .environment import prepare_in_background
    from .magics import TrackMagics
    from .report import status_line
    from .tracking import process_tracker
    from .model_writer import pause_model_writer, resume_model_writer, start_model_writer

    if id(ipython) in _loaded:
        return
    state = SessionState()

    def remember_cell(info: Any) -> None:
        # never let a hook failure reach the user's cell
        try:
            state.cell_id = getattr(info, "cell_id", None)
            if not getattr(info, "silent", False):
                state.executed.append(info.raw_cell)
            # a model writer still starting would slow this cell's numerical work
            pause_model_writer()
        except Exception:
            state.cell_id = None

    def after_cell(result: Any) -> None:
        try:
            resume_model_writer()
            if "sklearn" in sys.modules:
                # it imports skops between cells, while the kernel waits for the next one
                start_model_writer()
        except Exception:
            pass

    prepare_in_background()
    ipython.events.register("pre_run_cell", remember_cell)
    ipython.events.register("post_run_cell", after_cell)
    ipython.register_magics(TrackMagics(ipython, state))
    _loaded[id(ipython)] = (state, remember_cell, after_cell)
    warnings.filterwarnings("always", category=NbtrackWarning)
    try:
        print(status_line(process_tracker()))
    except Exception as exc:
        warnings.warn(f"nbtrack could not open its store: {exc}", NbtrackWarning, stacklevel=2)


def unload_ipython_extension(ipython: Any) -> None:
    """Remove the magics and the cell hook."""
    entry = _loaded.pop(id(ipython), None)
    if entry is None:
        return
    _, before, after = entry
    from .model_writer import resume_model_writer

    # this cell's end no longer reaches the hook that would let it go on
    resume_model_writer()
    for event, hook in (("pre_run_cell", before), ("post_run_cell", after)):
        try:
            ipython.events.unregister(event, hook)
        except ValueError:
            pass
    magics = ipython.magics_manager.magics
    magics["line"].pop("track", None)
    magics["cell"].pop("track", None)
