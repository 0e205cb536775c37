"""The process-wide tracker behind the functions :mod:`nbtrack` exports."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .tracking import Tracker

__all__ = ["tracker"]


def tracker() -> Tracker:
    """The process-wide :class:`~nbtrack.tracking.Tracker` the functions of :mod:`nbtrack`
    use (created, with its store, on first use: importing nbtrack stays cheap)."""
    from .tracking import process_tracker

    return process_tracker()
