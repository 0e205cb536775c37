"""How param and metric values are written to SQL columns and read back exactly."""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["encode_param", "decode_param", "encode_float", "decode_float"]

_STR, _INT, _FLOAT, _BOOL, _NONE, _JSON = range(6)


def encode_param(value: Any) -> tuple[str, int, float | None]:
    """Return ``(text, vtype, number)`` for a param value.

    ``text`` is ``str(value)`` for scalars (what a filter compares strings with)
    and JSON for lists and dicts; ``number`` is set for ints and floats.
    """
    if isinstance(value, str):
        return value, _STR, None
    if isinstance(value, bool):
        return str(value), _BOOL, None
    if isinstance(value, int):
        return str(value), _INT, float(value) if abs(value) < 2**1023 else None
    if isinstance(value, float):
        return repr(value), _FLOAT, None if math.isnan(value) else value
    if value is None:
        return "None", _NONE, None
    return json.dumps(value, allow_nan=True, ensure_ascii=False), _JSON, None


def decode_param(text: str, vtype: int) -> Any:
    """Inverse of :func:`encode_param`."""
    if vtype == _STR:
        return text
    if vtype == _INT:
        return int(text)
    if vtype == _FLOAT:
        return float(text)
    if vtype == _BOOL:
        return text == "True"
    if vtype == _NONE:
        return None
    return json.loads(text)


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
