"""How a drift report shows in IPython: the static HTML everywhere, plus the live
:class:`~nbtrack.views.drift_widget.DriftWidget` where a front end can draw it."""

from __future__ import annotations

from typing import Any

__all__ = ["drift_bundle", "show_drift", "WIDGET_VIEW"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _in_kernel() -> bool:
    """Whether this runs in an IPython kernel, which has a front end to draw widgets
    (terminal IPython has none)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return getattr(get_ipython(), "kernel", None) is not None


def drift_bundle(report: Any, include: Any = None,
                 exclude: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The static part of a drift report: its text and HTML table (``_repr_mimebundle_``).

    Parameters
    ----------
    report : DriftReport
    include, exclude : optional
        IPython's mimetype filters (IPython applies them to the result).
    """
    return {"text/plain": repr(report), "text/html": report._repr_html_()}, {}


def show_drift(report: Any) -> None:
    """Display ``report`` (``_ipython_display_``): the static table, and in a live kernel
    with anywidget installed the widget in a second output just after it, which hides
    the table once it draws, as ``compare`` does. A saved notebook keeps the table for
    nbconvert and GitHub; reopened without the kernel's widget state it still shows it.
    """
    from IPython.display import display

    data, _ = drift_bundle(report)
    display(data, raw=True)
    if not _in_kernel():
        return
    try:
        from .drift_widget import DriftWidget
    except ImportError:  # no anywidget: the static table is all there is
        return
    display(DriftWidget(report))
