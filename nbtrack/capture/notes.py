"""Results a cell only prints or displays: ``print("accuracy:", accuracy_score(y, p))``.

Notebooks often compute a score inline, inside a ``print`` or as the cell's last
expression, and never give it a name. Before a tracked cell runs, every such
*result expression* inside a ``print(...)`` call is wrapped in a call that notes
its value and returns it unchanged, so the cell prints exactly what it printed
before. A result expression is a call whose function names a score
(``accuracy_score(...)``, ``clf.score(...)``, ``mean_squared_error(...)``), an
average of something named as scores (``scores.mean()``, ``np.mean(scores)``), or
a name that says score and is (re)bound inside a loop.

A printed scikit-learn ``classification_report(...)`` is noted by its summary
figures (``classification_report.accuracy``, ``classification_report.macro_avg.f1``,
the same for ``weighted_avg``), computed by the same function with
``output_dict=True``; the text printed is the one it returned.

Any computation printed under a label that names a result is one too
(``print("Accuracy:", np.mean(pred == y))``). Each printed result is keyed by the
label printed before it (``"Test accuracy:"`` → ``test_accuracy``; in a format string,
the text before its field; a ``print("Accuracy:")`` on its own labels what the next
statement prints), else by the expression (``clf.score``); an average is always keyed
by its expression (``scores.mean``, ``scores.std``). A result noted once
is a metric; one noted on every iteration of a loop is a history.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from ..analysis.cells import CellAnalysis
from ..analysis.expressions import RESULT_WORDS, called_name, chain_root

__all__ = ["ResultNotes", "NOTE_FUNCTION", "expression_key"]

#: The name the wrapped expressions call; removed from the namespace after the cell.
NOTE_FUNCTION = "__nbtrack_note__"
#: Called names that make a call's value a result.
_RESULT_CALL = re.compile(r"score|error|accuracy|loss|auc|f1|r2|precision|recall|mse|mae|"
                          r"rmse|deviance|silhouette|likelihood|perplexity", re.IGNORECASE)
_AVERAGES = frozenset({"mean", "std", "median", "max", "min", "average", "nanmean"})
#: Rows and columns of a classification report that are recorded.
_REPORT_AVERAGES = frozenset({"macro avg", "weighted avg"})
_REPORT_FIGURES = ("precision", "recall", "f1-score")
#: At most this many values are noted per printed expression (a long loop).
_MAX_VALUES = 100_000


def _prints(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and \
        isinstance(node.value.func, ast.Name) and node.value.func.id == "print"


def _slug(text: str) -> str:
    words = re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_").lower()
    return words[:64].rstrip("_")


def expression_key(node: ast.AST) -> str:
    """A readable key for an expression: ``clf.score``, ``accuracy_score``, ``scores.mean``."""
    if isinstance(node, ast.Call):
        func = node.func
        parts: list[str] = []
        while isinstance(func, ast.Attribute):
            parts.append(func.attr)
            func = func.value
        if isinstance(func, ast.Name):
            parts.append(func.id)
            if func.id in ("np", "numpy", "metrics", "sklearn") and len(parts) > 1:
                parts.pop()  # ``np.mean(scores)`` and ``metrics.f1_score``: the module says little
        if parts and parts[-1] in _AVERAGES and node.args:
            root = chain_root(node.args[0])
            if root:
                return f"{root}.{parts[-1]}"
        return ".".join(reversed(parts[:2])) if parts else "value"
    if isinstance(node, ast.Name):
        return node.id
    return _slug(ast.unparse(node)) or "value"


class ResultNotes:
    """The values of result expressions, collected while a tracked cell runs."""

    def __init__(self) -> None:
        self.values: dict[str, list[Any]] = {}

    def __call__(self, key: str, value: Any) -> Any:
        noted = self.values.setdefault(key, [])
        if len(noted) < _MAX_VALUES:
            noted.append(value)
        return value

    def report(self, key: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        """Call ``function`` (a classification report) as the cell did and note its
        summary figures; return what it returned."""
        result = function(*args, **kwargs)
        if kwargs.get("output_dict") or \
                not str(getattr(function, "__module__", "")).startswith("sklearn."):
            return result
        try:
            summary = function(*args, **{**kwargs, "output_dict": True})
        except Exception:  # the text is what the cell asked for; the figures are extra
            return result
        for name, item in summary.items():
            if name == "accuracy":
                self(f"{key}.accuracy", item)
            elif name in _REPORT_AVERAGES and isinstance(item, dict):
                for figure in _REPORT_FIGURES:
                    if figure in item:
                        self(f"{key}.{_slug(name)}.{_slug(figure)}", item[figure])
        return result

    def instrument(self, tree: ast.Module, analysis: CellAnalysis) -> ast.Module:
        """Wrap the result expressions of the cell's ``print`` calls (in place)."""
        _Wrapper(analysis).visit(tree)
        return ast.fix_missing_locations(tree)


class _Wrapper(ast.NodeTransformer):
    """Finds ``print(...)`` calls outside functions and wraps their result expressions."""

    def __init__(self, analysis: CellAnalysis) -> None:
        self.analysis = analysis
        self.used: set[str] = set()
        # ``print("Accuracy:")`` labels what the next statement prints
        self._carried = ""

    def visit(self, node: ast.AST) -> Any:
        if isinstance(node, ast.stmt) and not _prints(node):
            self._carried = ""
        return super().visit(node)

    def visit_FunctionDef(self, node: ast.AST) -> ast.AST:
        return node  # what a function prints when called belongs to no one cell

    visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = visit_FunctionDef
    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if not (isinstance(node.func, ast.Name) and node.func.id == "print"):
            return node
        label, self._carried = self._carried, ""
        arguments: list[ast.expr] = []
        for arg in node.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                label = arg.value
                arguments.append(arg)
            else:
                arguments.append(self._argument(arg, label))
                label = ""
        node.args = arguments
        if len(arguments) == 1 and label.rstrip().endswith(":"):
            self._carried = label
        return node

    def _argument(self, arg: ast.expr, label: str) -> ast.expr:
        if isinstance(arg, ast.JoinedStr):
            text = ""
            for part in arg.values:
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    text = part.value
                elif isinstance(part, ast.FormattedValue):
                    part.value = self._wrap(part.value, text)
                    text = ""
            return arg
        if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and \
                arg.func.attr == "format" and isinstance(arg.func.value, ast.Constant) and \
                isinstance(arg.func.value.value, str):
            # ``"score: {:.2f}".format(value)``: each field labelled by the text before it
            labels = re.split(r"\{[^{}]*\}", arg.func.value.value)
            arg.args = [self._wrap(e, labels[i] if i < len(labels) else "")
                        for i, e in enumerate(arg.args)]
            return arg
        if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Mod) and \
                isinstance(arg.left, ast.Constant) and isinstance(arg.left.value, str):
            # ``"score: %f" % value`` or ``"a: %f, b: %f" % (x, y)``: labels from the format
            labels = re.split(r"%[-+ #0-9.]*[a-zA-Z]", arg.left.value)
            if isinstance(arg.right, ast.Tuple):
                arg.right.elts = [self._wrap(e, labels[i] if i < len(labels) else "")
                                  for i, e in enumerate(arg.right.elts)]
            else:
                arg.right = self._wrap(arg.right, labels[0])
            return arg
        return self._wrap(arg, label)

    @staticmethod
    def _is_average(node: ast.expr) -> bool:
        """``scores.mean()``, ``np.mean(...)``: an average of something."""
        return isinstance(node, ast.Call) and called_name(node) in _AVERAGES

    def _is_result(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Call):
            called = called_name(node)
            if _RESULT_CALL.search(called):
                return True
            if called in _AVERAGES:
                target = node.args[0] if node.args else node.func
                root = chain_root(target.value if isinstance(target, ast.Attribute) else target)
                return bool(root and RESULT_WORDS.search(root))
            return False
        if isinstance(node, ast.Name):
            # a name bound once at top level is recorded by its own rule
            return node.id in self.analysis.loop_bound and bool(RESULT_WORDS.search(node.id)) \
                and node.id not in self.analysis.loop_targets
        return False

    def _wrap(self, node: ast.expr, label: str) -> ast.expr:
        if isinstance(node, ast.Call) and called_name(node) == "classification_report":
            return self._wrap_report(node)
        # a computation printed under a label that names a result (``"Accuracy:"``); a
        # plain name is recorded by its own rule
        labelled = bool(RESULT_WORDS.search(label)) and \
            not isinstance(node, (ast.Name, ast.Constant))
        if not (labelled or self._is_result(node)):
            return node
        # an average of named scores says what it is better than any text around it
        by_expression = self._is_average(node) and self._is_result(node)
        key = self._unused(expression_key(node) if by_expression else
                           _slug(label) or expression_key(node))
        call = ast.Call(func=ast.Name(id=NOTE_FUNCTION, ctx=ast.Load()),
                        args=[ast.Constant(value=key), node], keywords=[])
        return ast.copy_location(call, node)

    def _wrap_report(self, node: ast.Call) -> ast.expr:
        key = self._unused("classification_report")
        note = ast.Attribute(value=ast.Name(id=NOTE_FUNCTION, ctx=ast.Load()), attr="report",
                             ctx=ast.Load())
        call = ast.Call(func=note, args=[ast.Constant(value=key), node.func, *node.args],
                        keywords=node.keywords)
        return ast.copy_location(call, node)

    def _unused(self, base: str) -> str:
        key, n = base, 2
        while key in self.used:
            key, n = f"{base}_{n}", n + 1
        self.used.add(key)
        return key
