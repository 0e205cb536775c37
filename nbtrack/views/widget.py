"""The live compare widget: a sortable, filterable, paged table of runs and a chart of
the selected runs. State lives in synced traits; the store answers every query."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from ..errors import NbtrackError
from ..filters import Node, all_of, by_ids, parse_filter, parse_order_by
from ..report import format_cell
from ..store import Store
from .artifacts import confusion_matrices
from .charts import (bar_png, confusion_png, history_png, numeric_params, parallel_png,
                     scatter_png)
from .table import differing_params

__all__ = ["CompareWidget"]

_STATIC = Path(__file__).with_name("static")


class CompareWidget(anywidget.AnyWidget):
    """Runs side by side, live: sort by any column, filter with the runs() syntax, page
    through thousands of runs, select rows to chart them.

    Parameters
    ----------
    store : Store
    experiment : str, optional
        Only this experiment's runs.
    base_filter : str, optional
        Restricts every query (e.g. the runs chosen with ``compare(runs=...)``).
    """

    _esm = _STATIC / "compare.js"
    _css = _STATIC / "compare.css"

    columns = traitlets.List(traitlets.Unicode(), help="column keys shown").tag(sync=True)
    rows = traitlets.List(traitlets.Dict(), help="the current page, display strings").tag(
        sync=True)
    total = traitlets.Int(0, help="runs matching the filter").tag(sync=True)
    page = traitlets.Int(0, help="page number, from 0").tag(sync=True)
    page_size = traitlets.Int(50, help="rows per page").tag(sync=True)
    sort = traitlets.Unicode("", help="order, e.g. 'metrics.acc DESC'").tag(sync=True)
    filter = traitlets.Unicode("", help="filter typed in the box").tag(sync=True)
    error = traitlets.Unicode("", help="why the last filter or sort failed").tag(sync=True)
    differing = traitlets.List(traitlets.Unicode(), help="params that differ").tag(sync=True)
    only_differences = traitlets.Bool(False, help="hide params equal in every row").tag(
        sync=True)
    selected = traitlets.List(traitlets.Unicode(), help="selected run ids").tag(sync=True)
    metrics = traitlets.List(traitlets.Unicode(), help="metric keys on this page").tag(sync=True)
    chart_metric = traitlets.Unicode("", help="metric charted for the selection").tag(sync=True)
    chart_kind = traitlets.Unicode("auto", help="auto (history or bars), scatter, parallel or "
                                   "confusion").tag(sync=True)
    chart_x = traitlets.Unicode("", help="param on the scatter's x axis").tag(sync=True)
    numeric_params = traitlets.List(traitlets.Unicode(), help="params a scatter can use").tag(
        sync=True)
    chart_png = traitlets.Unicode("", help="base64 PNG of the chart").tag(sync=True)

    def __init__(self, store: Store, experiment: str | None = None,
                 base_filter: Any = None, **kwargs: Any) -> None:
        self._store = store
        self._experiment = experiment
        self._base = base_filter
        super().__init__(**kwargs)
        self.refresh()

    def __repr__(self) -> str:
        # the text a saved notebook keeps beside the widget: what it shows, not an address
        where = f" of experiment {self._experiment}" if self._experiment else ""
        query = f" matching {self.filter.strip()!r}" if self.filter.strip() else ""
        return f"compare: {self.total:,} runs{where}{query}"

    def _where(self) -> Node | None:
        return all_of(self._base, parse_filter(self.filter) if self.filter.strip() else None)

    @traitlets.observe("sort", "filter", "page", "page_size", "only_differences")
    def _on_query(self, change: dict[str, Any]) -> None:
        if change["name"] in ("sort", "filter", "page_size") and self.page != 0:
            self.page = 0  # triggers another refresh
            return
        self.refresh()

    @traitlets.observe("selected", "chart_metric", "chart_kind", "chart_x")
    def _on_selection(self, change: dict[str, Any]) -> None:
        self._chart()

    def refresh(self) -> None:
        """Run the current query and publish the page."""
        try:
            where = self._where()
            order = parse_order_by(self.sort or None)
            total = self._store.count(where, self._experiment)
            table = self._store.search(where, order, self._experiment, self.page_size,
                                       self.page * self.page_size)
        except NbtrackError as exc:
            self.error = str(exc)
            return
        self.error = ""
        differ = differing_params(table)
        params = [k for k in sorted(table.params) if "." not in k]
        if self.only_differences:
            params = [k for k in params if k in differ]
        metric_keys = sorted(table.metrics)
        rows = []
        for record in table.records():
            duration = record["duration"]
            row = {"run_id": record["run_id"], "name": record["name"] or "",
                   "status": record["status"],
                   "duration": "" if duration is None else f"{duration:.2f} s"}
            row.update({f"params.{k}": format_cell(record["params"].get(k)) for k in params})
            row.update({f"metrics.{k}": format_cell(record["metrics"].get(k))
                        for k in metric_keys})
            rows.append(row)
        self.total = total
        self.differing = differ
        self.metrics = metric_keys
        self.columns = ["run_id", "name", "status", "duration"] + \
            [f"params.{k}" for k in params] + [f"metrics.{k}" for k in metric_keys]
        self.rows = rows
        if not self.chart_metric and metric_keys:
            self.chart_metric = metric_keys[0]

    def _chart(self) -> None:
        """Draw the chart for the selection (scatter and parallel: the current query's runs
        when fewer than three are selected)."""
        key, kind = self.chart_metric, self.chart_kind
        if kind in ("scatter", "parallel") and len(self.selected) < 3:
            table = self._store.search(self._where(), (), self._experiment, 2000)
        elif self.selected:
            table = self._store.search(by_ids(self.selected))
        else:
            self.chart_png = ""
            return
        numeric = [k for k in numeric_params(table) if "." not in k]
        self.numeric_params = numeric
        png = b""
        if kind == "confusion":
            found = confusion_matrices(self._store, table.base["run_id"], limit=1)
            if found:
                run_id, name, data = found[0]
                png = confusion_png(data["labels"], data["matrix"], f"{name} · {run_id[:10]}")
        elif kind == "scatter" and key and numeric:
            x = self.chart_x if self.chart_x in numeric else numeric[0]
            png = scatter_png(table, x, key)
        elif kind == "parallel" and key and numeric:
            png = parallel_png(table, numeric, key)
        elif key:
            stepped = any(len(self._store.metric_history(r, key)) > 1
                          for r in table.base["run_id"])
            png = history_png(self._store, table, key) if stepped else bar_png(table, key)
        self.chart_png = base64.b64encode(png).decode() if png else ""
