"""The grid of a sweep: its text grammar, its checks, and the points it spans.

A grid maps param names to the values to try; its points are the Cartesian
product of those lists, in the order the names were given. On a command line a
grid is written ``NAME=VALUES`` per param, where ``VALUES`` is a comma-separated
list of Python literals (anything else is taken as a string) and inclusive
integer ranges ``a..b``: ``C=0.01,0.1,1 max_depth=2..8 kernel=rbf,linear``.
"""

from __future__ import annotations

import ast
import itertools
import keyword
import math
import re
from typing import Any, Iterable, Mapping, Sequence

from ..errors import InvalidValueError
from ..repro.notebook import literal_source
from ..validation import plain_scalar

__all__ = ["parse_grid_words", "parse_values", "normalise_grid", "grid_points",
           "literal_source", "check_names"]

_RANGE = re.compile(r"^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*$")
_NUMERIC_RANGE = re.compile(r"^\s*-?[\d.eE+-]+\s*\.\.\s*-?[\d.eE+-]+\s*$")
_OPENERS = {"(": ")", "[": "]", "{": "}"}
#: A grid this large is almost certainly a typo (``1..100000``), not a plan.
MAX_POINTS = 100_000


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside brackets or quotes (``(1,2),(3,4)``)."""
    parts, depth, quote, start = [], [], "", 0
    for i, char in enumerate(text):
        if quote:
            if char == quote and text[i - 1] != "\\":
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in _OPENERS:
            depth.append(_OPENERS[char])
        elif depth and char == depth[-1]:
            depth.pop()
        elif char == "," and not depth:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _value(text: str) -> Any:
    """A Python literal, else the text itself as a string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def parse_values(name: str, text: str) -> list[Any]:
    """The values one ``NAME=VALUES`` word gives.

    Parameters
    ----------
    name : str
        The param the values are for (named in errors).
    text : str
        Comma-separated literals and inclusive integer ranges ``a..b``.

    Raises
    ------
    InvalidValueError
        For an empty value, a range that is empty or not of integers.
    """
    values: list[Any] = []
    for part in _split_top_level(text):
        item = part.strip()
        if not item:
            raise InvalidValueError(f"empty value in {name}={text}; separate values with "
                                    "single commas, e.g. C=0.1,1")
        match = _RANGE.match(item)
        if match:
            low, high = int(match.group(1)), int(match.group(2))
            if low > high:
                raise InvalidValueError(f"range {item} of {name} is empty; write the smaller "
                                        f"bound first ({high}..{low})")
            if high - low >= MAX_POINTS:
                raise InvalidValueError(f"range {item} of {name} has {high - low + 1} values; "
                                        f"a sweep takes at most {MAX_POINTS} points")
            values.extend(range(low, high + 1))
        elif ".." in item and _NUMERIC_RANGE.match(item):
            raise InvalidValueError(f"range {item} of {name} is not of integers; ranges a..b "
                                    "take integers, list other values: lr=0.1,0.2,0.3")
        else:
            values.append(_value(item))
    return values


def parse_grid_words(words: Sequence[str]) -> dict[str, list[Any]]:
    """A grid from ``NAME=VALUES`` words (see the module docstring).

    Raises
    ------
    InvalidValueError
        For a word without ``=``, a name that is not a Python identifier, a name given
        twice, or bad values (see :func:`parse_values`).
    """
    grid: dict[str, list[Any]] = {}
    for word in words:
        name, sep, text = word.partition("=")
        name = name.strip()
        if not sep:
            raise InvalidValueError(f"{word!r} is not NAME=VALUES; write e.g. C=0.1,1 or "
                                    "max_depth=2..8")
        _check_identifier(name)
        if name in grid:
            raise InvalidValueError(f"{name} is given twice; list all its values once: "
                                    f"{name}=a,b,c")
        grid[name] = parse_values(name, text)
    if not grid:
        raise InvalidValueError("no grid given; name at least one param, e.g. C=0.1,1")
    return grid


def _check_identifier(name: str) -> None:
    if not name.isidentifier() or keyword.iskeyword(name):
        raise InvalidValueError(f"{name!r} cannot be a swept param: a param the export's "
                                "parameters cell sets is a Python name, e.g. max_depth")


def normalise_grid(grid: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Check a grid given to the API and make each entry a list.

    A single value that is not a list, tuple, range or other non-string iterable
    counts as a list of one.

    Raises
    ------
    InvalidValueError
        For an empty grid, a name that is not an identifier, an empty list of values,
        a value with no Python literal form (it could not be injected), or more than
        :data:`MAX_POINTS` points.
    """
    if not isinstance(grid, Mapping) or not grid:
        raise InvalidValueError("a sweep needs a grid: a dict of param name -> list of values, "
                                "e.g. {'C': [0.1, 1]}")
    out: dict[str, list[Any]] = {}
    for name, given in grid.items():
        if not isinstance(name, str):
            raise InvalidValueError(f"grid keys are param names, got {name!r}")
        _check_identifier(name)
        values = [plain_scalar(v) for v in (given if _is_sequence(given) else [given])]
        if not values:
            raise InvalidValueError(f"no values given for {name}; give at least one")
        for value in values:
            if literal_source(value) is None:
                raise InvalidValueError(
                    f"value {value!r} of {name} cannot be written into a notebook "
                    "(numbers, strings, bools, None and tuples/lists/dicts of them can)")
        out[name] = values
    count = math.prod(len(v) for v in out.values())
    if count > MAX_POINTS:
        raise InvalidValueError(f"the grid has {count} points; a sweep takes at most "
                                f"{MAX_POINTS}")
    return out


def _is_sequence(value: Any) -> bool:
    if isinstance(value, (str, bytes, dict)):
        return False
    return isinstance(value, (list, tuple, range)) or \
        (hasattr(value, "__iter__") and hasattr(value, "__len__"))


def check_names(grid: Mapping[str, Any], params: Iterable[str], run_id: str) -> None:
    """Refuse grid names the source run has no param for.

    Raises
    ------
    InvalidValueError
        Naming the unknown names and listing the params the run has.
    """
    known = set(params)
    unknown = [name for name in grid if name not in known]
    if unknown:
        have = ", ".join(sorted(known)) or "none"
        raise InvalidValueError(
            f"run {run_id} has no param {', '.join(unknown)} (its params: {have}); a sweep "
            "varies params the run's cell set as literals")


def grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every point of the grid: the Cartesian product, first name slowest."""
    names = list(grid)
    return [dict(zip(names, combo)) for combo in itertools.product(*grid.values())]
