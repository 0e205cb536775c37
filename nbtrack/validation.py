"""Checks on keys and values before they are buffered, with messages that say what to do."""

from __future__ import annotations

import math
import numbers
import re
from typing import Any

from .errors import InvalidValueError

__all__ = ["check_key", "plain_scalar", "to_param_value", "to_metric_value", "to_step",
           "to_tag_value", "MAX_KEY_LENGTH", "MAX_VALUE_LENGTH"]

MAX_KEY_LENGTH = 1000
MAX_VALUE_LENGTH = 1_000_000
_STEP_MIN, _STEP_MAX = -(2**63), 2**63 - 1
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def check_key(key: Any, what: str = "key") -> str:
    """Return ``key`` if it can name a param, metric or tag; raise otherwise."""
    if not isinstance(key, str):
        raise InvalidValueError(f"{what} must be a string, got {type(key).__name__} {key!r}")
    if not key or not key.strip():
        raise InvalidValueError(f"{what} must not be empty")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidValueError(f"{what} {key[:30]!r}... is {len(key)} characters long; "
                                f"keep it under {MAX_KEY_LENGTH}")
    if _CONTROL.search(key):
        raise InvalidValueError(f"{what} {key!r} contains control characters; use printable "
                                "characters only")
    return key


def plain_scalar(value: Any) -> Any:
    """A numpy scalar as the Python number it holds (its repr is not a literal); any
    other value as it is."""
    item = getattr(value, "item", None)
    if item is not None and type(value).__module__ == "numpy" and getattr(value, "ndim", 1) == 0:
        return item()
    return value


def to_param_value(key: str, value: Any) -> Any:
    """Return a storable param value (numpy scalars become Python scalars)."""
    value = plain_scalar(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        if len(value) > MAX_VALUE_LENGTH:
            raise InvalidValueError(f"param {key!r} is {len(value)} characters long; params "
                                    "hold settings, log big text with log_artifact")
        return value
    if isinstance(value, (list, tuple, dict)):
        try:
            import json

            text = json.dumps(value, allow_nan=True, default=lambda part: _part_value(key, part))
        except InvalidValueError:
            raise
        except (TypeError, ValueError) as exc:
            raise InvalidValueError(f"param {key!r} cannot be stored: {exc}") from None
        if len(text) > MAX_VALUE_LENGTH:
            raise InvalidValueError(f"param {key!r} is too large; log it with log_artifact")
        return json.loads(text)
    raise InvalidValueError(
        f"param {key!r} has type {type(value).__name__}; params must be numbers, strings, "
        "bools, None or lists/dicts of those (pass str(value) to record its text)")


def _part_value(key: str, value: Any) -> Any:
    """A numpy scalar inside a list/dict param as plain Python; anything else is refused."""
    converted = plain_scalar(value)
    if converted is not value:
        return converted
    raise InvalidValueError(f"param {key!r} cannot be stored: {type(value).__name__} is not a "
                            "number, string, bool or None")


def to_metric_value(key: str, value: Any) -> float:
    """Return a metric value as float; raise for anything that is not a real number."""
    value = plain_scalar(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidValueError(f"metric {key!r} must be a number, got "
                                f"{type(value).__name__} {str(value)[:40]!r}; log text as a "
                                "param or tag")
    result = float(value)
    if math.isinf(result) and not isinstance(value, float) and not math.isinf(value):
        raise InvalidValueError(f"metric {key!r} = {value} does not fit in a float")
    return result


def to_step(step: Any) -> int:
    """Return a valid step (a 64-bit integer)."""
    step = plain_scalar(step)
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise InvalidValueError(f"step must be an integer, got {type(step).__name__} {step!r}")
    as_int = int(step)
    if not _STEP_MIN <= as_int <= _STEP_MAX:
        raise InvalidValueError(f"step {as_int} does not fit in 64 bits")
    return as_int


def to_tag_value(key: str, value: Any) -> str:
    """Return a tag value as text."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_VALUE_LENGTH:
        raise InvalidValueError(f"tag {key!r} is too long; log big text with log_artifact")
    return text
