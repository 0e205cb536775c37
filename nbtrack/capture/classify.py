"""The capture rules: which names of a finished cell become params, metrics or histories.

Each name is judged by its value when the cell ends. Options given to the
magic (``--params``, ``--metrics``) win over every rule.
"""

from __future__ import annotations

import ast
import math
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from ..analysis.cells import NOT_LITERAL, CellAnalysis
from ..analysis.expressions import RESULT_WORDS, is_size_expression
from .notes import expression_key

__all__ = ["Captured", "classify", "is_number", "as_history", "MAX_HISTORY"]

#: Longest list captured automatically as a metric history.
MAX_HISTORY = 100_000


@dataclass
class Captured:
    """Params, metrics, histories and score tables found in a cell's namespace.

    ``timing`` names the metrics and histories that are timing figures: recorded,
    never judged by ``reproduce``.
    """

    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    histories: dict[str, list[float]] = field(default_factory=dict)
    tables: dict[str, Any] = field(default_factory=dict)
    timing: set[str] = field(default_factory=set)
    skipped: dict[str, str] = field(default_factory=dict)


#: Names and keys of timing figures (``fit_time``, ``elapsed``, ``duration_s``).
_TIMING_WORDS = re.compile(r"(^|_)(time|times|elapsed|duration|durations|seconds|secs|"
                           r"latency|runtime)(_|$)", re.IGNORECASE)
#: Longest table kept as a score table.
MAX_TABLE_ROWS = 10_000


def is_number(value: Any) -> bool:
    """True for int/float/numpy real scalars, False for bools (numpy's too)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.generic):
        return isinstance(value, (numpy.integer, numpy.floating))
    return False


def as_history(value: Any) -> list[float] | None:
    """The values of a 1-D list/tuple of real numbers, else None.

    Numpy arrays are not taken: an array a cell builds is far more often
    predictions or features than a training curve (name it in ``--metrics``
    to record one).
    """
    if not isinstance(value, (list, tuple)) or not value or len(value) > MAX_HISTORY:
        return None
    if not all(is_number(v) for v in value):
        return None
    return [float(v) for v in value]


def _plain(value: Any) -> Any:
    """Numpy scalars to Python scalars (for params)."""
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.generic):
        return value.item()
    return value


def _same_literal(value: Any, literal: Any) -> bool:
    try:
        if type(value) is not type(literal):
            return False
        if isinstance(value, float) and math.isnan(value):
            return math.isnan(literal)
        return bool(value == literal)
    except Exception:  # objects with odd __eq__ are not literals
        return False


def classify(analysis: CellAnalysis, namespace: Mapping[str, Any], rebound: Iterable[str],
             *, params: Iterable[str] | None = None, metrics: Iterable[str] | None = None,
             injected: Mapping[str, Any] | None = None, completed: bool = True,
             noted: Mapping[str, list[Any]] | None = None,
             shown: Iterable[tuple[ast.expr, Any]] = ()) -> Captured:
    """Apply the capture rules.

    Parameters
    ----------
    analysis : CellAnalysis
        What the cell's code binds and reads.
    namespace : mapping
        The user namespace after the cell ran.
    rebound : iterable of str
        Names whose object changed while the cell ran (bound by the cell).
    params, metrics : iterable of str, optional
        Names given with ``--params`` / ``--metrics``; when given they replace the
        automatic rule for that kind.
    injected : mapping, optional
        Names defined by a papermill parameters cell (they become params when read).
    completed : bool
        Whether the cell ran to its end; only then are names bound by its
        unconditional statements known to be its own even when their object is
        unchanged (``n = len(x)`` giving the same small int as before).
    noted : mapping, optional
        Values of the result expressions the cell printed, by key (see ``notes``).
    shown : iterable, optional
        The cell's displayed last expression and its value.
    """
    out = Captured()
    rebound = set(rebound)
    explicit_params = list(params) if params is not None else None
    explicit_metrics = list(metrics) if metrics is not None else None

    if explicit_params is not None:
        for name in explicit_params:
            if name not in namespace:
                out.skipped[name] = "not defined when the cell ended"
            else:
                out.params[name] = _plain(namespace[name])
    else:
        for name, literal in analysis.literals.items():
            if literal is NOT_LITERAL or name.startswith("_") or name not in namespace:
                continue
            if _same_literal(namespace[name], literal):
                out.params[name] = literal
        for name in sorted(set(injected or ()) & analysis.reads):
            if name in namespace and name not in analysis.bound:
                out.params[name] = _plain(namespace[name])

    if explicit_metrics is not None:
        for name in explicit_metrics:
            value: Any = namespace.get(name)
            history = as_history(list(value) if hasattr(value, "tolist") else value)
            if is_number(value):
                out.metrics[name] = float(value)
            elif history is not None:
                out.histories[name] = history
            else:
                out.skipped[name] = "not a number or a 1-D sequence of numbers"
        return out

    containers = analysis.appended | analysis.filled
    for name in sorted(analysis.bound | (containers & set(namespace)) | analysis.fitted):
        if name.startswith("_") or name in out.params or name not in namespace:
            continue
        value = namespace[name]
        touched = name in rebound or name in containers or (
            completed and name in analysis.unconditional)
        if name in analysis.fitted or (touched and name in analysis.bound):
            _search_results(name, value, out)
        if not touched or name not in analysis.bound | containers:
            continue  # not bound by this cell (e.g. its assignment was skipped)
        grown = name in analysis.extended or name in analysis.filled or (
            name in analysis.augmented and not is_number(value))
        if name in analysis.loop_bound and not grown:
            continue  # only the last iteration's value (a counter, a name unpacked)
        if name in analysis.timestamps:
            continue
        timing = name in analysis.timing or bool(_TIMING_WORDS.search(name))
        if is_number(value):
            if name in analysis.bookkeeping:
                continue
            if analysis.literals.get(name, NOT_LITERAL) is NOT_LITERAL or \
                    not _same_literal(value, analysis.literals.get(name)):
                _metric(out, name, value, timing)
            continue
        if analysis.literals.get(name, NOT_LITERAL) is not NOT_LITERAL and \
                _same_literal(value, analysis.literals[name]):
            continue  # a literal the cell left as it was: a setting, not a result
        history = as_history(value)
        key = name
        if history is None and _is_array(value) and (
                name in containers or name in analysis.scored or RESULT_WORDS.search(name)):
            history = _array_history(value)
            if history is None:
                # a table of scores, a row per setting (``learning_curve``): row means
                history, key = _row_means(value), f"{name}.mean"
        if history is not None:
            _history(out, key, history, timing)
        elif type(value) is dict:  # plain dicts only: a Bunch of data is no result
            _keyed(out, name, value, timing, depth=0)
        elif _is_table(value) and (RESULT_WORDS.search(name) or any(
                RESULT_WORDS.search(str(c)) for c in value.columns)):
            _table(out, name, value)
    _printed_results(out, noted or {})
    for expression, value in shown:
        _displayed_result(out, expression, value)
    return out


def _taken(out: Captured, key: str) -> bool:
    return key in out.metrics or key in out.histories or key in out.params


def _printed_results(out: Captured, noted: Mapping[str, list[Any]]) -> None:
    """A result printed once is a metric; printed on every iteration of a loop, a history."""
    for key, values in noted.items():
        if not values or _taken(out, key) or not all(is_number(v) for v in values):
            continue
        timing = bool(_TIMING_WORDS.search(key))
        if len(values) == 1:
            _metric(out, key, values[0], timing)
        else:
            _history(out, key, [float(v) for v in values], timing)


def _displayed_result(out: Captured, expression: ast.expr, value: Any) -> None:
    """A number the cell shows as its result (``model.score(X_test, y_test)``)."""
    if not is_number(value) or isinstance(expression, (ast.Name, ast.Constant)) or \
            is_size_expression(expression):
        return  # a name is recorded by its own rule; a size is bookkeeping
    key = expression_key(expression)
    if not _taken(out, key):
        _metric(out, key, value, bool(_TIMING_WORDS.search(key)))


def _metric(out: Captured, key: str, value: Any, timing: bool) -> None:
    out.metrics[key] = float(value)
    if timing:
        out.timing.add(key)


def _history(out: Captured, key: str, values: list[float], timing: bool) -> None:
    out.histories[key] = values
    if timing:
        out.timing.add(key)


def _is_array(value: Any) -> bool:
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.ndarray)


def _array_history(value: Any) -> list[float] | None:
    """A 1-D real numeric array as a history (bools and objects are not scores)."""
    if value.ndim != 1 or not 0 < value.size <= MAX_HISTORY or value.dtype.kind not in "iuf":
        return None
    return [float(v) for v in value.tolist()]


def _row_means(value: Any) -> list[float] | None:
    """The mean of each row of a 2-D real numeric array (two rows or more)."""
    if value.ndim != 2 or not 1 < value.shape[0] <= MAX_HISTORY or value.shape[1] == 0 \
            or value.dtype.kind not in "iuf":
        return None
    return [float(v) for v in value.mean(axis=1).tolist()]


def _keyed(out: Captured, name: str, value: dict[Any, Any], timing: bool, depth: int) -> None:
    """Dicts of scores: numbers become ``name.key`` metrics, sequences histories."""
    if not value or len(value) > 1000:
        return
    for key, item in value.items():
        if not isinstance(key, (str, int)) or isinstance(key, bool):
            continue
        full = f"{name}.{key}"
        item_timing = timing or bool(_TIMING_WORDS.search(str(key)))
        if is_number(item):
            _metric(out, full, item, item_timing)
            continue
        history = as_history(item)
        if history is None and _is_array(item) and (
                RESULT_WORDS.search(str(key)) or _TIMING_WORDS.search(str(key))):
            history = _array_history(item)
        if history is not None:
            _history(out, full, history, item_timing)
        elif type(item) is dict and depth == 0:
            _keyed(out, full, item, item_timing, depth + 1)


def _is_table(value: Any) -> bool:
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, pandas.DataFrame) and \
        0 < len(value) <= MAX_TABLE_ROWS and any(
            kind in "iuf" for kind in (dtype.kind for dtype in value.dtypes))


def _table(out: Captured, name: str, value: Any) -> None:
    out.tables[f"tables/{name}.csv"] = value


def _search_results(name: str, value: Any, out: Captured) -> None:
    """A fitted hyperparameter search: its best params, best score and results table."""
    if isinstance(value, type) or not hasattr(type(value), "fit"):
        return
    try:
        best_params = value.__dict__.get("best_params_")
        best_score = value.__dict__.get("best_score_")
        results = value.__dict__.get("cv_results_")
    except Exception:  # objects with odd attribute access are not searches
        return
    if isinstance(best_params, dict):
        for key, param in best_params.items():
            plain = _plain(param)
            # a grid can hold estimators or callables: their repr says which one won
            scalar = plain is None or isinstance(plain, (bool, int, float, str))
            out.params[f"{name}.best_params.{key}"] = plain if scalar else repr(param)
    if is_number(best_score):
        out.metrics[f"{name}.best_score"] = float(best_score)
    if isinstance(results, dict) and "pandas" in sys.modules:
        pandas = sys.modules["pandas"]
        columns = {k: (v.astype(str) if getattr(v, "dtype", None) is not None
                       and v.dtype.kind == "O" else v)
                   for k, v in results.items() if k != "params"}
        try:
            out.tables[f"tables/{name}.cv_results.csv"] = pandas.DataFrame(columns)
        except Exception:
            pass
