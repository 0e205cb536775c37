"""The inline drift report: a :class:`~nbtrack.monitoring.drift.DriftReport` as a live
widget (one row per feature, largest PSI first, each with its overlaid histogram), with
the report's static HTML beside it in the same output for renderers without widgets."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from .encode import jsonable

__all__ = ["DriftWidget", "badge", "feature_rows"]

_STATIC = Path(__file__).with_name("static")

#: What a feature's badge says for each severity of a tested feature (words, so the
#: verdict does not rest on colour alone).
SEVERITY_BADGES = {"major": "major drift", "moderate": "moderate drift", "none": "no drift"}
#: What it says when the feature could not be tested.
STATUS_BADGES = {"insufficient_data": "too few rows", "empty": "no values",
                 "not_testable": "not testable"}


def badge(severity: str, status: str) -> tuple[str, str]:
    """A feature's badge: its text and its level (``major``, ``moderate``, ``none``, or
    ``untested`` when the feature has no test result).

    Parameters
    ----------
    severity : str
        The report's severity of the feature (from its PSI).
    status : str
        The report's status of the feature (``ok`` when tested).
    """
    if status == "ok":
        return SEVERITY_BADGES.get(severity, severity), severity
    return STATUS_BADGES.get(status, status.replace("_", " ")), "untested"


def _number(value: Any) -> Any:
    """A float for JSON: non-finite values as their text, as in every nbtrack output."""
    if value is None:
        return None
    number = float(value)
    return jsonable(number) if not math.isnan(number) else "nan"


def feature_rows(report: Any) -> list[dict[str, Any]]:
    """The report's features as plain JSON rows, in the report's order (largest PSI
    first): figures, badge, shares of each side per bin, and the bins' ``edges``
    (numeric: the reference's inner decile edges) or ``levels`` (categorical).

    Parameters
    ----------
    report : DriftReport
    """
    rows = []
    for row in report.features.to_dict("records"):
        text, level = badge(str(row["severity"]), str(row["status"]))
        shares = row.get("shares")
        bins = row.get("bins")
        reference, current = (list(map(float, shares[0])), list(map(float, shares[1]))) \
            if shares else ([], [])
        numeric = row["type"] == "numeric"
        rows.append({
            "feature": str(row["feature"]), "type": str(row["type"]), "test": str(row["test"]),
            "statistic": _number(row["statistic"]), "p_value": _number(row["p_value"]),
            "psi": _number(row["psi"]), "severity": str(row["severity"]),
            "drifted": bool(row["drifted"]), "status": str(row["status"]),
            "badge": text, "level": level,
            "missing_reference": _number(row["missing_reference"]),
            "missing_current": _number(row["missing_current"]),
            "missingness_shift": bool(row["missingness_shift"]),
            "reference": reference, "current": current,
            "edges": [_number(e) for e in bins] if numeric and bins is not None else [],
            "levels": [str(v) for v in bins] if not numeric and bins is not None else []})
    return rows


class DriftWidget(anywidget.AnyWidget):
    """A drift report, live: the verdict, one row per feature (largest PSI first) with
    its badge, figures and overlaid histogram of reference and current shares; a click
    (or Enter) on a row opens a larger histogram with the bin edges or levels on its
    axis; "drifted only" hides the rest.

    Parameters
    ----------
    report : DriftReport
        What :func:`nbtrack.drift` returned.
    """

    _esm = _STATIC / "drift.js"
    _css = _STATIC / "drift.css"

    summary = traitlets.Unicode("", help="the report's one-line verdict").tag(sync=True)
    drift_detected = traitlets.Bool(False, help="whether the data set drifted").tag(sync=True)
    features = traitlets.List(traitlets.Dict(), help="one row per feature, largest PSI "
                              "first").tag(sync=True)
    drifted_only = traitlets.Bool(False, help="show only the drifted features").tag(sync=True)
    expanded = traitlets.Unicode("", help="the feature whose large histogram is open").tag(
        sync=True)

    def __init__(self, report: Any, **kwargs: Any) -> None:
        super().__init__(summary=report.summary(), drift_detected=bool(report.drift_detected),
                         features=feature_rows(report), **kwargs)

    def __repr__(self) -> str:
        # the text a saved notebook keeps beside the widget: the verdict, not an address
        return f"drift report: {self.summary}"
