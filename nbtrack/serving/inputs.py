"""Request bodies of ``POST /invocations`` turned into model input, checked against the
model's signature.

The JSON forms are MLflow's: ``{"dataframe_split": {"columns": [...], "data": [[...]]}}``,
``{"dataframe_records": [{...}, ...]}``, ``{"instances": [...]}`` and ``{"inputs": ...}``;
CSV (``text/csv``) has a header row. A signature with named columns wants those columns:
a missing one is an error naming it, extra ones are dropped (refused when strict);
a tensor signature wants rows of its width.
"""

from __future__ import annotations

import io
import json
from typing import Any, Mapping

__all__ = ["BadInput", "parse_body", "conform", "model_signature", "numeric_rows",
           "array_model", "MAX_JSON_DEPTH"]

#: Deeper JSON than this is refused before it is parsed into Python objects.
MAX_JSON_DEPTH = 32
_FORMS = ("dataframe_split", "dataframe_records", "instances", "inputs")


class BadInput(ValueError):
    """The request cannot become model input; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _depth(text: str) -> int:
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def parse_body(body: bytes, content_type: str) -> Any:
    """A pandas DataFrame (or, for ``inputs``/``instances`` of bare numbers, a list of rows)
    from a request body."""
    import pandas as pd

    kind = content_type.split(";")[0].strip().lower()
    if kind == "text/csv":
        try:
            return pd.read_csv(io.BytesIO(body))
        except Exception as exc:
            raise BadInput(f"the CSV body cannot be read: {exc}") from None
    if kind != "application/json":
        raise BadInput(f"content type {kind or 'none'!r} is not served; send "
                       "application/json or text/csv", 415)
    text = body.decode("utf-8", errors="replace")
    if _depth(text) > MAX_JSON_DEPTH:
        raise BadInput(f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BadInput(f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict) or len([k for k in _FORMS if k in data]) != 1:
        raise BadInput("send exactly one of dataframe_split, dataframe_records, instances "
                       "or inputs, e.g. {\"dataframe_split\": {\"columns\": [\"a\"], "
                       "\"data\": [[1]]}}")
    try:
        if "dataframe_split" in data:
            split = data["dataframe_split"]
            return pd.DataFrame(split["data"], columns=split.get("columns"))
        if "dataframe_records" in data:
            return pd.DataFrame.from_records(data["dataframe_records"])
        rows = data.get("instances", data.get("inputs"))
        if isinstance(rows, dict):
            return pd.DataFrame(rows)
        if isinstance(rows, list) and rows and isinstance(rows[0], dict):
            return pd.DataFrame.from_records(rows)
        return pd.DataFrame(rows)
    except (KeyError, TypeError, ValueError) as exc:
        raise BadInput(f"the input cannot form a table: {exc}") from None


def numeric_rows(body: bytes, content_type: str, wanted: list[str],
                 strict: bool = False) -> tuple[Any, dict[str, Any]] | None:
    """The common request, decoded without pandas: a ``dataframe_split`` JSON body of plain
    numbers holding every column in ``wanted``. Returns the float array in ``wanted``'s
    order and the inputs as sent (``columns``, ``data``) for the request log; None for
    anything else (the general path then parses the body and explains what is wrong)."""
    import numpy as np

    if content_type.split(";")[0].strip().lower() != "application/json" or \
            b'"dataframe_split"' not in body[:64]:
        return None
    try:
        data = json.loads(body)
        split = data["dataframe_split"]
        columns, rows = split["columns"], split["data"]
        if len(data) != 1 or not isinstance(columns, list) or not isinstance(rows, list):
            return None
        if (strict and len(columns) != len(wanted)) or len(set(columns)) != len(columns):
            return None
        where = {str(c): i for i, c in enumerate(columns)}
        order = [where[c] for c in wanted]
        values = np.asarray(rows, dtype=np.float64)
    except (ValueError, TypeError, KeyError, RecursionError):
        return None
    if values.ndim != 2 or values.shape[1] != len(columns) or not len(values):
        return None
    if order != list(range(len(columns))):
        values = values[:, order]
    return values, {"columns": columns, "data": rows}


def array_model(model: Any, wanted: list[str]) -> Any | None:
    """A view of ``model`` that takes float arrays in ``wanted``'s order, or None.

    A scikit-learn estimator (or pipeline) fitted on named columns checks the names of
    every DataFrame it is given, which costs more than predicting one row, and warns
    when handed an array. The view is a shallow copy (the fitted arrays are shared, not
    copied) whose first estimator has forgotten the column names, used only when it
    answers exactly as the original does on DataFrames, without a warning.
    """
    import copy
    import warnings

    import numpy as np
    import pandas as pd

    names = getattr(model, "feature_names_in_", None)
    if names is None or [str(n) for n in names] != wanted:
        return None
    found = getattr(model, "steps", None)
    steps: list[Any] = found if isinstance(found, list) else []
    pipeline = bool(steps)
    first = steps[0][1] if pipeline else model
    if "feature_names_in_" not in vars(first):
        return None
    stripped = copy.copy(first)
    del stripped.feature_names_in_
    view = stripped
    if pipeline:
        view = copy.copy(model)
        view.steps = [(steps[0][0], stripped), *steps[1:]]
    probe = np.vstack([np.zeros(len(wanted)), np.linspace(-1.0, 2.0, len(wanted))])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            as_array = np.asarray(view.predict(probe))
            as_frame = np.asarray(model.predict(pd.DataFrame(probe, columns=wanted)))
    except Exception:  # noqa: BLE001 - any failure or warning: give this model DataFrames
        return None
    same = as_array.shape == as_frame.shape and bool(np.array_equal(as_array, as_frame))
    return view if same else None


def model_signature(model: Any) -> dict[str, Any]:
    """The inputs a fitted scikit-learn-style model expects, from what it learnt (used
    when a version was registered without a signature)."""
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return {"inputs": [{"name": str(n), "type": "unknown"} for n in names]}
    width = getattr(model, "n_features_in_", None)
    return {"inputs": {"type": "tensor", "shape": [-1, int(width)]}} if width else {}


def conform(frame: Any, signature: Mapping[str, Any], strict: bool = False) -> Any:
    """``frame`` as the model wants it: its columns in the signature's order, or a 2-D
    array of the tensor's width."""
    inputs = signature.get("inputs")
    if isinstance(inputs, list) and inputs:
        wanted = [str(column["name"]) for column in inputs]
        names = [str(c) for c in frame.columns]
        missing = [c for c in wanted if c not in names]
        if missing:
            raise BadInput(f"missing column{'s' * (len(missing) > 1)} "
                           f"{', '.join(repr(c) for c in missing)}; the model expects "
                           f"{', '.join(wanted)}")
        extra = [c for c in names if c not in wanted]
        if extra and strict:
            raise BadInput(f"unexpected column{'s' * (len(extra) > 1)} "
                           f"{', '.join(repr(c) for c in extra)} (strict)")
        frame.columns = names
        return frame[wanted]
    values = frame.to_numpy()
    if isinstance(inputs, dict) and inputs.get("type") == "tensor":
        width = inputs.get("shape", [-1, None])[-1]
        if values.ndim != 2 or (width not in (None, -1) and values.shape[1] != width):
            got = values.shape[1] if values.ndim == 2 else values.ndim
            raise BadInput(f"each row needs {width} values, got {got}")
    return values
