"""Which runs a comparison shows: ids or prefixes, a ``runs()`` DataFrame, a filter, or all."""

from __future__ import annotations

from typing import Any, Iterable

from ..filters import Node, all_of, as_node, by_ids, parse_filter, parse_order_by
from ..store import Store
from ..store.contract import RunTable

__all__ = ["select_runs", "selection"]


def selection(store: Store, runs: Any = None, filter: str | Node | None = None,
              experiment: str | None = None) -> tuple[Node | None, str | None]:
    """The filter tree and experiment that select the runs to compare.

    Parameters
    ----------
    store : Store
    runs : str, iterable of str, DataFrame or None
        Run ids or unique prefixes; a DataFrame with a ``run_id`` column (e.g. from
        ``nbtrack.runs()``); a filter string; or None for every run of ``experiment``.
    filter : str or Node, optional
        Filter applied on top (MLflow syntax, or a tree from :mod:`nbtrack.filters`).
    experiment : str, optional
        Used when ``runs`` is not a list of runs.
    """
    where = as_node(filter)
    ids: list[str] | None = None
    if isinstance(runs, str):
        if runs.startswith("r-") and " " not in runs.strip():
            ids = [runs]
        else:
            where = all_of(parse_filter(runs), where)
    elif runs is not None and hasattr(runs, "columns") and "run_id" in runs.columns:
        ids = [str(r) for r in runs["run_id"]]
    elif runs is not None:
        ids = [str(r) for r in _iterate(runs)]
    if ids is not None:
        full = tuple(store.resolve_id(i) for i in ids)
        where = all_of(by_ids(full), where)
        experiment = None
    return where, experiment


def select_runs(store: Store, runs: Any = None, filter: str | None = None,
                experiment: str | None = None, order_by: str | None = None,
                limit: int | None = None) -> RunTable:
    """The runs to compare, as a :class:`RunTable` (see :func:`selection`)."""
    where, experiment = selection(store, runs, filter, experiment)
    return store.search(where, parse_order_by(order_by), experiment, limit)


def _iterate(value: Any) -> Iterable[Any]:
    if isinstance(value, (list, tuple, set)):
        return value
    return list(value)
