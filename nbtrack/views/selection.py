"""Which runs a comparison shows: ids or prefixes, a ``runs()`` DataFrame, a filter, or all."""

from __future__ import annotations

from typing import Any, Iterable

from ..filters import BoolOp, Comparison, parse_filter, parse_order_by
from ..store.base import RunTable

__all__ = ["select_runs", "selection"]


def selection(store: Any, runs: Any = None, filter: str | None = None,
              experiment: str | None = None) -> tuple[Any, str | None]:
    """The filter tree and experiment that select the runs to compare.

    Parameters
    ----------
    store : Store
    runs : str, iterable of str, DataFrame or None
        Run ids or unique prefixes; a DataFrame with a ``run_id`` column (e.g. from
        ``nbtrack.runs()``); a filter string; or None for every run of ``experiment``.
    filter : str, optional
        Filter applied on top (MLflow syntax).
    experiment : str, optional
        Used when ``runs`` is not a list of runs.
    """
    where = parse_filter(filter) if filter else None
    ids: list[str] | None = None
    if isinstance(runs, str):
        if runs.startswith("r-") and " " not in runs.strip():
            ids = [runs]
        else:
            where = parse_filter(runs if where is None else f"({runs}) and ({filter})")
    elif runs is not None and hasattr(runs, "columns") and "run_id" in runs.columns:
        ids = [str(r) for r in runs["run_id"]]
    elif runs is not None:
        ids = [str(r) for r in _iterate(runs)]
    if ids is not None:
        full = tuple(store.resolve_id(i) if hasattr(store, "resolve_id") else i for i in ids)
        selector = Comparison("attributes", "run_id", "IN", full) if full else \
            Comparison("attributes", "run_id", "=", "")
        where = selector if where is None else BoolOp("AND", (selector, where))
        experiment = None
    return where, experiment


def select_runs(store: Any, runs: Any = None, filter: str | None = None,
                experiment: str | None = None, order_by: str | None = None,
                limit: int | None = None) -> RunTable:
    """The runs to compare, as a :class:`RunTable` (see :func:`selection`)."""
    where, experiment = selection(store, runs, filter, experiment)
    return store.search(where, parse_order_by(order_by), experiment, limit)


def _iterate(value: Any) -> Iterable[Any]:
    if isinstance(value, (list, tuple, set)):
        return value
    return list(value)
