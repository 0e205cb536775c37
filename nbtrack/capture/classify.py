"""The capture rules: which names of a finished cell become params, metrics or histories.

Each name is judged by its value when the cell ends. Options given to the
magic (``--params``, ``--metrics``) win over every rule.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from .analysis import NOT_LITERAL, CellAnalysis

__all__ = ["Captured", "classify", "is_number", "as_history", "MAX_HISTORY"]

#: Longest list captured automatically as a metric history.
MAX_HISTORY = 100_000


@dataclass
class Captured:
    """Params, metrics and histories found in a cell's namespace."""

    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    histories: dict[str, list[float]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def is_number(value: Any) -> bool:
    """True for int/float/numpy real scalars, False for bools (numpy's too)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.generic):
        return isinstance(value, (numpy.integer, numpy.floating))
    return False


def as_history(value: Any) -> list[float] | None:
    """The values of a 1-D list/tuple of real numbers, else None.

    Numpy arrays are not taken: an array a cell builds is far more often
    predictions or features than a training curve (name it in ``--metrics``
    to record one).
    """
    if not isinstance(value, (list, tuple)) or not value or len(value) > MAX_HISTORY:
        return None
    if not all(is_number(v) for v in value):
        return None
    return [float(v) for v in value]


def _plain(value: Any) -> Any:
    """Numpy scalars to Python scalars (for params)."""
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.generic):
        return value.item()
    return value


def _same_literal(value: Any, literal: Any) -> bool:
    try:
        if type(value) is not type(literal):
            return False
        if isinstance(value, float) and math.isnan(value):
            return math.isnan(literal)
        return bool(value == literal)
    except Exception:  # objects with odd __eq__ are not literals
        return False


def classify(analysis: CellAnalysis, namespace: Mapping[str, Any], rebound: Iterable[str],
             *, params: Iterable[str] | None = None, metrics: Iterable[str] | None = None,
             injected: Mapping[str, Any] | None = None, completed: bool = True) -> Captured:
    """Apply the capture rules.

    Parameters
    ----------
    analysis : CellAnalysis
        What the cell's code binds and reads.
    namespace : mapping
        The user namespace after the cell ran.
    rebound : iterable of str
        Names whose object changed while the cell ran (bound by the cell).
    params, metrics : iterable of str, optional
        Names given with ``--params`` / ``--metrics``; when given they replace the
        automatic rule for that kind.
    injected : mapping, optional
        Names defined by a papermill parameters cell (they become params when read).
    completed : bool
        Whether the cell ran to its end; only then are names bound by its
        unconditional statements known to be its own even when their object is
        unchanged (``n = len(x)`` giving the same small int as before).
    """
    out = Captured()
    rebound = set(rebound)
    explicit_params = list(params) if params is not None else None
    explicit_metrics = list(metrics) if metrics is not None else None

    if explicit_params is not None:
        for name in explicit_params:
            if name not in namespace:
                out.skipped[name] = "not defined when the cell ended"
            else:
                out.params[name] = _plain(namespace[name])
    else:
        for name, literal in analysis.literals.items():
            if literal is NOT_LITERAL or name.startswith("_") or name not in namespace:
                continue
            if _same_literal(namespace[name], literal):
                out.params[name] = literal
        for name in sorted(set(injected or ()) & analysis.reads):
            if name in namespace and name not in analysis.bound:
                out.params[name] = _plain(namespace[name])

    if explicit_metrics is not None:
        for name in explicit_metrics:
            value = namespace.get(name)
            history = as_history(list(value) if hasattr(value, "tolist") else value)
            if is_number(value):
                out.metrics[name] = float(value)
            elif history is not None:
                out.histories[name] = history
            else:
                out.skipped[name] = "not a number or a 1-D sequence of numbers"
        return out

    for name in sorted(analysis.bound | (analysis.appended & set(namespace))):
        if name.startswith("_") or name in out.params or name not in namespace:
            continue
        if name in analysis.loop_targets:
            continue  # a loop counter's last value is not a result
        touched = name in rebound or name in analysis.appended or (
            completed and name in analysis.unconditional)
        if not touched:
            continue  # not bound by this cell (e.g. its assignment was skipped)
        value = namespace[name]
        if is_number(value) and analysis.literals.get(name, NOT_LITERAL) is NOT_LITERAL:
            out.metrics[name] = float(value)
        elif is_number(value) and not _same_literal(value, analysis.literals.get(name)):
            out.metrics[name] = float(value)
        else:
            history = as_history(value)
            if history is not None and name not in out.params:
                out.histories[name] = history
    return out
