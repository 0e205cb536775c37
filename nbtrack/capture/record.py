"""Adding values to a run after its cell has finished (``%track log``)."""

from __future__ import annotations

from typing import Mapping

from ..tracking import Tracker

__all__ = ["log_into_run"]


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def log_into_run(tracker: Tracker, run_id: str, values: Mapping[str, str]) -> list[str]:
    """Log ``key=value`` texts into a run: numbers as metrics, anything else as tags.

    A metric that already has a history gets the value at its next step.

    Returns
    -------
    list of str
        ``key=value`` descriptions of what was logged.
    """
    metrics: dict[str, float] = {}
    tags: dict[str, str] = {}
    done = []
    for key, text in values.items():
        number = _number(text)
        if number is not None:
            metrics[key] = number
            done.append(f"metric {key}={number:g}")
        else:
            tags[key] = text
            done.append(f"tag {key}={text}")
    tracker.add_to_run(run_id, metrics=metrics, tags=tags)
    return done
