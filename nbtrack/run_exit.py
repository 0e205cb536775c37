"""Runs left open when the interpreter exits end there, never RUNNING forever.

FINISHED after a normal exit, FAILED (with the traceback) after an uncaught
exception; waits on a locked store are bounded so exit never hangs.
"""

from __future__ import annotations

import atexit
import sys
import traceback
from types import TracebackType
from typing import Any, Protocol

from .entities import RunStatus
from .store.buffer import EXIT_WAIT

__all__ = ["format_error", "watch_exit"]


class _Watched(Protocol):
    _store: Any

    def end_open_runs(self, status: RunStatus, error: str | None = None) -> None: ...


def format_error(exc_type: type[BaseException], exc: BaseException | None,
                 tb: TracebackType | None) -> str:
    """The traceback text recorded with a failed run."""
    return "".join(traceback.format_exception(exc_type, exc, tb))


_watching: list[_Watched] = []
_uncaught: dict[str, str | None] = {"error": None}


def watch_exit(tracker: _Watched) -> None:
    """End ``tracker``'s open runs at exit (once per tracker)."""
    if any(t is tracker for t in _watching):
        return
    if not _watching:
        previous = sys.excepthook

        def remember(exc_type: Any, exc: Any, tb: Any) -> None:
            _uncaught["error"] = format_error(exc_type, exc, tb)
            previous(exc_type, exc, tb)

        sys.excepthook = remember
        atexit.register(_end_runs_at_exit)
    _watching.append(tracker)


def _end_runs_at_exit() -> None:
    error = _uncaught["error"]
    status = RunStatus.FINISHED if error is None else RunStatus.FAILED
    for tracker in _watching:
        try:
            if tracker._store is not None:
                tracker._store.bound_waits(EXIT_WAIT)
            tracker.end_open_runs(status, error)
        except Exception as exc:  # exit must go on whatever the store says
            print(f"nbtrack: could not end open runs at exit: {exc}", file=sys.stderr)
