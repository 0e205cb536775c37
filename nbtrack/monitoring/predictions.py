"""Prediction drift: the answers a served version gave, against the answers it gives on
its reference sample, by the same tests as its inputs (:func:`~nbtrack.monitoring.drift.drift`
on one ``prediction`` column: classes are categorical, a regressor's values numeric)."""

from __future__ import annotations

from typing import Any

from .drift import DriftReport, drift
from .windows import Window

__all__ = ["reference_predictions", "served_predictions", "prediction_drift"]

#: The column the two sides' predictions are compared under.
COLUMN = "prediction"


def reference_predictions(store: Any, version: Any, reference: Any) -> tuple[Any, str | None]:
    """The version's predictions for its reference sample, or None and why not.

    The model is loaded from the store as ``load_model`` loads it (digest checked,
    never unpickled); a model that cannot predict on the sample gives a note instead.
    """
    import numpy as np

    from ..registry import load_model

    try:
        model = load_model(store, version.address)
        predicted = np.asarray(model.predict(reference))
    except Exception as exc:  # a check of the inputs is still worth having without it
        return None, (f"no prediction drift: {version.address} could not predict on its "
                      f"reference sample ({type(exc).__name__}: {exc})")
    if predicted.ndim != 1:
        return None, "no prediction drift: the model answers more than one value per row"
    return predicted, None


def served_predictions(window: Window) -> list[Any]:
    """Every prediction the window's answered requests returned, in order."""
    out: list[Any] = []
    for r in window.requests:
        predictions = r.get("predictions")
        if r["status"] == 200 and isinstance(predictions, list):
            out.extend(p for p in predictions if not isinstance(p, list))
    return out


def prediction_drift(reference: Any, current: list[Any]) -> DriftReport | None:
    """Drift of the served predictions from the reference ones (None without any served)."""
    import pandas as pd

    if reference is None or not current:
        return None
    return drift(pd.DataFrame({COLUMN: reference}), pd.DataFrame({COLUMN: current}))


def prediction_values(report: DriftReport) -> dict[str, float]:
    """The figures stored and usable in rules: ``prediction.psi``, ``prediction.p`` and
    ``prediction.drifted`` (1 or 0)."""
    row = report.features.iloc[0]
    return {"prediction.psi": float(row["psi"]), "prediction.p": float(row["p_value"]),
            "prediction.drifted": float(bool(row["drifted"]))}
