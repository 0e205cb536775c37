"""``nbtrack.compare``: runs side by side, as static HTML + PNG that any renderer shows."""

from __future__ import annotations

import base64
import html
from typing import Any

from ..filters import Node
from ..store import Store
from ..store.contract import RunTable
from .artifacts import confusion_matrices, score_tables
from .charts import (bar_png, confusion_png, history_png, numeric_params, parallel_png,
                     scatter_png)
from .table import differing_params, html_table, text_table

__all__ = ["StaticComparison", "CompareView", "compare_runs"]


class StaticComparison:
    """Runs side by side: a table (differing params highlighted) and charts of the metrics.

    Its output is plain HTML with embedded PNG images, so it shows on GitHub, in
    nbviewer and after ``jupyter nbconvert --to html`` with no kernel and no widget
    JavaScript.

    Parameters
    ----------
    store : Store
    table : RunTable
        The runs to show.
    """

    def __init__(self, store: Store, table: RunTable) -> None:
        self.store = store
        self.table = table

    @property
    def run_ids(self) -> list[str]:
        """Ids of the runs shown."""
        return list(self.table.base["run_id"])

    def differing_params(self) -> list[str]:
        """Params whose values differ across the runs."""
        return differing_params(self.table)

    def charts(self) -> dict[str, bytes]:
        """PNG charts: the history of every stepped metric, and a bar chart per metric."""
        out: dict[str, bytes] = {}
        if not len(self.table):
            return out
        metrics = sorted(self.table.metrics)
        for key in metrics[:6]:
            stepped = any(len(self.store.metric_history(run_id, key)) > 1
                          for run_id in self.run_ids[:20])
            out[key] = history_png(self.store, self.table, key) if stepped \
                else bar_png(self.table, key)
        numeric = [k for k in numeric_params(self.table, at_least=3) if "." not in k]
        if metrics and numeric:
            out[f"{metrics[0]} vs {numeric[0]}"] = scatter_png(self.table, numeric[0], metrics[0])
        if metrics and len(numeric) >= 2 and len(self.table) >= 3:
            out["parallel coordinates"] = parallel_png(self.table, numeric, metrics[0])
        for run_id, name, data in confusion_matrices(self.store, self.run_ids[:20]):
            out[f"{name} of {run_id[:10]}"] = confusion_png(
                data["labels"], data["matrix"], f"{name} · {run_id[:10]}")
        return out

    def html(self) -> str:
        """The whole comparison as HTML."""
        count = len(self.table)
        if not count:
            return "<p><i>nbtrack: no runs to compare</i></p>"
        # the heading names the params the table shows; estimator settings only counted
        differ = self.differing_params()
        shown = [k for k in differ if "." not in k]
        settings = len(differ) - len(shown)
        heading = f" · params that differ: {html.escape(', '.join(shown))}" if shown else ""
        if settings:
            heading += f" · {settings} estimator setting{'s' * (settings != 1)} differ" + \
                ("s" if settings == 1 else "")
        parts = [f'<div class="nbtrack-static"><p><b>{count} run{"s" * (count != 1)}</b>'
                 + heading + "</p>", html_table(self.table)]
        for key, png in self.charts().items():
            data = base64.b64encode(png).decode()
            parts.append(f'<img alt="{html.escape(key)}" src="data:image/png;base64,{data}"/>')
        for run_id, name, frame in score_tables(self.store, self.run_ids[:20]):
            parts.append(f"<p><b>{html.escape(name)}</b> of {html.escape(run_id)}</p>"
                         + frame.to_html(index=False, max_cols=12, float_format="{:.4g}".format))
        return "".join(parts) + "</div>"

    def __str__(self) -> str:
        return text_table(self.table)

    def __repr__(self) -> str:
        return str(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": str(self), "text/html": self.html()}


class CompareView:
    """What ``nbtrack.compare()`` returns: the live widget plus its static copy.

    Displayed in a notebook it leaves two outputs: the static HTML/PNG comparison
    (what GitHub, nbviewer and nbconvert show) and the widget, which hides the static
    copy once its JavaScript runs, so a live user sees one comparison.
    """

    def __init__(self, store: Store, where: Any, experiment: str | None) -> None:
        self.store = store
        self.where = where
        self.experiment = experiment
        self.static = StaticComparison(store, store.search(where, (), experiment))
        self._widget: Any = None

    @property
    def widget(self) -> Any:
        """The live :class:`~nbtrack.views.widget.CompareWidget` (built on first use)."""
        if self._widget is None:
            from .widget import CompareWidget

            self._widget = CompareWidget(self.store, self.experiment, self.where)
        return self._widget

    @property
    def run_ids(self) -> list[str]:
        """Ids of the runs compared."""
        return self.static.run_ids

    def differing_params(self) -> list[str]:
        """Params whose values differ across the runs."""
        return self.static.differing_params()

    def __repr__(self) -> str:
        return str(self.static)

    def _ipython_display_(self) -> None:
        from IPython import get_ipython
        from IPython.display import display

        display(self.static)
        if getattr(get_ipython(), "kernel", None) is None:
            return  # terminal IPython: no frontend to run a widget, the table is the view
        try:
            widget = self.widget
        except ImportError:  # no anywidget: the static comparison is all there is
            return
        display(widget)


def compare_runs(tracker: Any, runs: Any = None, filter: str | Node | None = None) -> CompareView:
    """The view :func:`nbtrack.compare` returns, for the runs ``tracker`` can see."""
    from .selection import selection

    where, experiment = selection(tracker.store, runs, filter, tracker.experiment)
    return CompareView(tracker.store, where, experiment)
