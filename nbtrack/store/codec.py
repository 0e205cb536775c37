"""How param and metric values are written to SQL columns and read back exactly."""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["encode_param", "decode_param", "param_text", "encode_float", "decode_float"]

_STR, _INT, _FLOAT, _BOOL, _NONE, _JSON = range(6)


def encode_param(value: Any) -> tuple[Any, int, str | None]:
    """Return ``(sql_value, vtype, text)`` for a param value.

    Numbers are stored as SQL numbers and strings as SQL text (so filters compare
    them natively); bools as ``'True'``/``'False'``; lists and dicts as JSON.
    ``text`` carries the exact value where SQLite would lose it.
    """
    if isinstance(value, str):
        return value, _STR, None
    if isinstance(value, bool):
        return str(value), _BOOL, None
    if isinstance(value, int):
        if -(2**63) <= value < 2**63:
            return value, _INT, None
        return (float(value) if abs(value) < 2**1023 else None), _INT, str(value)
    if isinstance(value, float):
        real, exact = encode_float(value)
        return real, _FLOAT, exact
    if value is None:
        return None, _NONE, None
    return json.dumps(value, allow_nan=True, ensure_ascii=False), _JSON, None


def param_text(value: Any) -> str:
    """A param as MLflow stores every param: ``str(value)`` (``None`` is ``'None'``, a dict
    ``{'a': 1}``, a float ``1e-05``). Filters compare quoted literals with this text."""
    return str(value)


def decode_param(value: Any, vtype: int, text: str | None) -> Any:
    """Inverse of :func:`encode_param`."""
    if text is not None:
        return int(text) if vtype == _INT else float(text)
    if vtype == _STR or vtype == _INT:
        return value
    if vtype == _FLOAT:
        return float(value)
    if vtype == _BOOL:
        return value == "True"
    if vtype == _NONE:
        return None
    return json.loads(value)


def encode_float(value: float) -> tuple[float | None, str | None]:
    """Return ``(real, exact)``: SQLite loses NaN and -0.0, so those go in ``exact``."""
    if value != value:
        return None, "nan"
    if value == 0.0 and math.copysign(1.0, value) < 0:
        return value, "-0.0"
    return value, None


def decode_float(real: float | None, exact: str | None) -> float:
    """Inverse of :func:`encode_float`."""
    if exact is not None:
        return float(exact)
    return float(real)  # type: ignore[arg-type]
