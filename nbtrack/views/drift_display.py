"""How a drift report shows in IPython: the static HTML everywhere, plus the live
:class:`~nbtrack.views.drift_widget.DriftWidget` where a front end can draw it."""

from __future__ import annotations

from typing import Any

__all__ = ["drift_bundle", "WIDGET_VIEW"]

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
    """What a notebook shows for ``report``: its text and static HTML table, plus the
    widget's view in a live kernel with anywidget installed. One output holds both, so a
    saved notebook keeps the HTML that nbconvert and GitHub render.

    Parameters
    ----------
    report : DriftReport
    include, exclude : optional
        IPython's mimetype filters (IPython applies them to the result).

    Returns
    -------
    data, metadata : dict
        Mimetype to data, and the widget's display metadata (empty but in Colab), as
        ``_repr_mimebundle_`` returns them.
    """
    bundle: dict[str, Any] = {"text/plain": repr(report), "text/html": report._repr_html_()}
    if not _in_kernel():
        return bundle, {}
    try:
        from .drift_widget import DriftWidget
    except ImportError:  # no anywidget: the static table is all there is
        return bundle, {}
    # anywidget's own bundle: the view's protocol version, and Colab's metadata
    view: Any = DriftWidget(report)._repr_mimebundle_(include=include, exclude=exclude)
    data, metadata = view
    bundle[WIDGET_VIEW] = data[WIDGET_VIEW]
    return bundle, metadata
