"""The one JSON encoding of what nbtrack shows: the CLI's ``--json``, the server's replies.

JSON has no NaN or Infinity, and a metric can be either; they are sent as the
strings ``"nan"``, ``"inf"`` and ``"-inf"`` wherever they sit (a param holding
a list of floats included), so every reader parses the output with a strict
JSON parser. Anything else JSON cannot hold (a timestamp object, a path) is
sent as its text.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["jsonable", "to_json"]


def jsonable(value: Any) -> Any:
    """``value`` with every non-finite float, at any depth, replaced by its text."""
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def to_json(data: Any, indent: int | None = None) -> str:
    """Strict JSON text of ``data`` (see the module's note on non-finite numbers)."""
    return json.dumps(jsonable(data), indent=indent, default=str, allow_nan=False)
