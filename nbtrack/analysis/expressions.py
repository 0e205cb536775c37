"""Small judgements about one expression of a cell: what it calls, where a chain starts,
whether it reads a clock or a size, whether a name says it holds results."""

from __future__ import annotations

import ast
import re

__all__ = ["CLOCKS", "GRID_MAKERS", "RATIO_WORDS", "RESULT_WORDS", "called_name", "chain_root",
           "is_clock", "is_size_expression"]

#: Words that make a name's numbers results (``test_scores``, ``val_loss``, ``results``).
RESULT_WORDS = re.compile(r"score|loss|acc|err|auc|f1|r2|mse|mae|rmse|precision|recall|"
                          r"deviance|likelihood|metric|result|perf", re.IGNORECASE)

#: Words that make a quotient of sizes a result (``sv_ratio = n_support / n_train``).
RATIO_WORDS = re.compile(r"ratio|fraction|frac|rate|share|percent|pct|proportion",
                         re.IGNORECASE)

#: Functions whose value is the time now (matched on the called name's last part).
CLOCKS = frozenset({"time", "perf_counter", "monotonic", "process_time", "time_ns",
                     "perf_counter_ns", "monotonic_ns", "process_time_ns", "default_timer",
                     "now", "utcnow", "today"})
#: Calls whose numeric arguments are axis or grid arithmetic, not results.
GRID_MAKERS = frozenset({"arange", "linspace", "logspace", "geomspace", "meshgrid", "range",
                          "xlim", "ylim", "zlim", "set_xlim", "set_ylim", "set_zlim", "axis",
                          "xticks", "yticks", "set_xticks", "set_yticks", "set_xbound",
                          "set_ybound", "set_extent", "figure", "subplots"})
#: Attributes that give an object's size rather than anything computed from its content.
SIZES = frozenset({"shape", "size", "ndim"})
#: Calls that keep a size a size (``int(0.8 * len(X))``).
SIZE_PRESERVING = frozenset({"len", "int", "round", "min", "max", "floor", "ceil"})


def called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def is_clock(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and called_name(node) in CLOCKS and not node.args \
        and not node.keywords


def is_size_expression(node: ast.AST) -> bool:
    """``len(x)``, ``X.shape[0]``, ``int(0.8 * len(X))``: a size, not a result."""
    found = False
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            if called_name(sub) not in SIZE_PRESERVING:
                return False
            found = found or called_name(sub) == "len"
        elif isinstance(sub, ast.Attribute) and sub.attr in SIZES:
            found = True
    return found


def chain_root(node: ast.AST) -> str | None:
    """The name a chain of calls and attributes starts from (``m`` in ``m.a(1).fit()``)."""
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None
