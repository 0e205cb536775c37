"""How nbtrack fails inside a user's cell: it warns, and the cell goes on."""

from __future__ import annotations

import warnings
from typing import Any, Callable, TypeVar

from .errors import NbtrackWarning

__all__ = ["tell", "guarded"]

T = TypeVar("T")


def tell(message: str) -> None:
    """Show an nbtrack warning in the cell output."""
    # no file and line: they would point into nbtrack, not at anything the user can change
    warnings.warn_explicit(message, NbtrackWarning, filename="nbtrack", lineno=0,
                           module="nbtrack")


def guarded(what: str, fn: Callable[[], T], default: Any = None) -> Any:
    """``fn()``, or ``default`` after a warning saying nbtrack could not do ``what``."""
    try:
        return fn()
    except Exception as exc:  # nbtrack's own failure must never break the cell
        tell(f"nbtrack could not {what}: {type(exc).__name__}: {exc}")
        return default
