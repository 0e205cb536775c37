"""Static analysis of a cell's code: what it binds, how, and what it reads."""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass, field
from typing import Any

from .expressions import (GRID_MAKERS, RATIO_WORDS, called_name, chain_root, is_clock,
                          is_size_expression)

__all__ = ["CellAnalysis", "analyze", "code_key", "NOT_LITERAL"]



class _NotLiteral:
    def __repr__(self) -> str:
        return "NOT_LITERAL"


#: Marker for a name whose last top-level assignment is not a literal.
NOT_LITERAL: Any = _NotLiteral()


@dataclass
class CellAnalysis:
    """Names a cell binds and reads, found without running it.

    Attributes
    ----------
    literals : dict
        Name → value of its last top-level ``name = <literal>`` assignment
        (:data:`NOT_LITERAL` if that last assignment is computed).
    bound : set
        Every name bound by top-level statements (assignments, for targets,
        with targets, imports, augmented assignments), outside functions/classes.
    loop_targets : set
        Names bound as ``for`` loop variables.
    appended : set
        Names whose value the cell mutates with ``.append`` / ``.extend`` / ``+=``.
    reads : set
        Names the cell loads anywhere (including inside functions it defines).
    unconditional : set
        Names bound by statements that run whenever the cell runs to its end
        (top-level statements and the bodies of top-level ``with`` blocks, not
        branches, loops or ``try`` blocks).
    fit_results : set
        Names the cell binds to what a fit returns (``model = clf.fit(X, y)``): the
        name the notebook goes on using for the fitted model.
    fitted : set
        Names the cell calls ``.fit`` / ``.partial_fit`` / ``.fit_transform`` /
        ``.fit_predict`` on, directly or through a chain
        (``m.set_params(alpha=0.1).fit(X, y)``); the estimator may have been made by
        an earlier cell.
    loop_bound : set
        Names (re)bound inside a ``for`` / ``while`` body, loop variables included:
        their value at the end is only the last iteration's.
    filled : set
        Names whose items the cell assigns (``scores[i] = ...``, ``results[k] = ...``).
    timestamps : set
        Names bound straight from a clock (``t0 = time.time()``).
    timing : set
        Names computed from a clock or a timestamp (``elapsed = time.time() - t0``),
        and lists the cell fills with such values.
    bookkeeping : set
        Sizes and plot arithmetic: names bound from ``len(...)`` / ``.shape`` /
        ``.size`` / ``.ndim``, and names the cell passes to axis and grid makers
        (``np.arange``, ``np.meshgrid``, ``range``, ``set_xlim``, ...).
    scored : set
        Names bound from a call whose function names a score (``cross_val_score``).
    extended : set
        Names the cell grows with ``.append`` / ``.extend`` / ``.insert``.
    augmented : set
        Names the cell updates with an augmented assignment (``n += 1``).
    """

    literals: dict[str, Any] = field(default_factory=dict)
    bound: set[str] = field(default_factory=set)
    loop_targets: set[str] = field(default_factory=set)
    appended: set[str] = field(default_factory=set)
    reads: set[str] = field(default_factory=set)
    unconditional: set[str] = field(default_factory=set)
    fitted: set[str] = field(default_factory=set)
    fit_results: set[str] = field(default_factory=set)
    loop_bound: set[str] = field(default_factory=set)
    filled: set[str] = field(default_factory=set)
    timestamps: set[str] = field(default_factory=set)
    timing: set[str] = field(default_factory=set)
    bookkeeping: set[str] = field(default_factory=set)
    scored: set[str] = field(default_factory=set)
    extended: set[str] = field(default_factory=set)
    augmented: set[str] = field(default_factory=set)


_FIT_METHODS = ("fit", "partial_fit", "fit_transform", "fit_predict")


def _literal(node: ast.AST) -> Any:
    """The value of a literal expression (``dict(k=<literal>)`` included), or NOT_LITERAL."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id == "dict" and not node.args and \
            all(k.arg is not None for k in node.keywords):
        values = {k.arg: _literal(k.value) for k in node.keywords}
        return NOT_LITERAL if any(v is NOT_LITERAL for v in values.values()) else values
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return NOT_LITERAL


def _target_names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _target_names(elt)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _unpacks_elementwise(target: ast.AST, value: ast.AST) -> bool:
    """``a, b = x, y``: plain names on the left, as many expressions on the right."""
    return (isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List))
            and len(target.elts) == len(value.elts)
            and all(isinstance(e, ast.Name) for e in target.elts)
            and not any(isinstance(e, ast.Starred) for e in value.elts))


def _unconditional_names(statements: list[ast.stmt]) -> set[str]:
    """Names bound by statements that cannot be skipped once the cell runs to its end."""
    names: set[str] = set()
    for statement in statements:
        if isinstance(statement, (ast.With, ast.AsyncWith)):
            for item in statement.items:
                if item.optional_vars is not None:
                    names.update(_target_names(item.optional_vars))
            names |= _unconditional_names(statement.body)
            continue
        if isinstance(statement, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try)) or \
                type(statement).__name__ in ("Match", "TryStar"):
            continue
        probe = CellAnalysis()
        _Binder(probe).visit(statement)
        names |= probe.bound
    return names


class _Binder(ast.NodeVisitor):
    """Visits top-level statements (not function or class bodies)."""

    def __init__(self, result: CellAnalysis) -> None:
        self.r = result
        self.loop_depth = 0

    def _derived_from_clock(self, node: ast.AST) -> bool:
        timed = self.r.timestamps | self.r.timing
        return any(is_clock(sub) or (isinstance(sub, ast.Name) and sub.id in timed)
                   for sub in ast.walk(node))

    def _from_sizes(self, node: ast.AST) -> bool:
        """Arithmetic on sizes and settings only (``fold_size = n_samples // k``)."""
        names = [sub.id for sub in ast.walk(node) if isinstance(sub, ast.Name)]
        if not names or any(isinstance(sub, ast.Call) for sub in ast.walk(node)):
            return False
        sizes = [n for n in names if n in self.r.bookkeeping]
        settings = [n for n in names if self.r.literals.get(n, NOT_LITERAL) is not NOT_LITERAL]
        return bool(sizes) and len(sizes) + len(settings) == len(names)

    def _judge_value(self, names: list[str], value: ast.AST) -> None:
        """What kind of number an assignment makes: a timestamp, a timing, a size."""
        for name in names:
            self.r.timestamps.discard(name)
            self.r.timing.discard(name)
            self.r.bookkeeping.discard(name)
            self.r.scored.discard(name)
        if is_clock(value):
            self.r.timestamps.update(names)
        elif self._derived_from_clock(value):
            self.r.timing.update(names)
        elif is_size_expression(value) or self._from_sizes(value):
            # a quotient named as a ratio is a result, whatever it divides
            self.r.bookkeeping.update(n for n in names if not (
                isinstance(value, ast.BinOp) and isinstance(value.op, ast.Div)
                and RATIO_WORDS.search(n)))
        elif isinstance(value, ast.Call) and "score" in called_name(value).lower():
            self.r.scored.update(names)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.r.bound.add(node.name)

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.r.bound.add(node.name)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        pass

    def _bind(self, names: list[str], value: Any) -> None:
        for name in names:
            self.r.bound.add(name)
            self.r.literals[name] = value
            if self.loop_depth:
                self.r.loop_bound.add(name)

    def _loop(self, node: ast.For | ast.AsyncFor | ast.While) -> None:
        for part in ("target", "iter", "test"):
            if getattr(node, part, None) is not None:
                self.visit(getattr(node, part))
        self.loop_depth += 1
        for statement in node.body + node.orelse:
            self.visit(statement)
        self.loop_depth -= 1

    def visit_While(self, node: ast.While) -> None:
        self._loop(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        value = _literal(node.value)
        for target in node.targets:
            if isinstance(target, ast.Name):
                self._bind([target.id], value)
                self._judge_value([target.id], node.value)
                if isinstance(node.value, ast.Call) and \
                        isinstance(node.value.func, ast.Attribute) and \
                        node.value.func.attr == "fit":
                    self.r.fit_results.add(target.id)
            elif _unpacks_elementwise(target, node.value):
                # ``a, b = 1, 2`` sets two knobs, exactly like two literal lines
                for element, source in zip(target.elts, node.value.elts):  # type: ignore[attr-defined]
                    self._bind([element.id], _literal(source))
                    self._judge_value([element.id], source)
            else:
                names = _target_names(target)
                self._bind(names, NOT_LITERAL)
                self._judge_value(names, node.value)
                self._fill(target, node.value)
        self.generic_visit(node)

    def _fill(self, target: ast.AST, value: ast.AST) -> None:
        """``scores[i] = ...``: the cell fills a container it holds."""
        if isinstance(target, ast.Subscript):
            root = chain_root(target.value)
            if root is not None and isinstance(target.value, (ast.Name, ast.Subscript)):
                self.r.filled.add(root)
                if self._derived_from_clock(value):
                    self.r.timing.add(root)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._fill(element, value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._bind(_target_names(node.target), _literal(node.value))
            self._judge_value(_target_names(node.target), node.value)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        for name in _target_names(node.target):
            self.r.appended.add(name)
            self.r.augmented.add(name)
            self._bind([name], NOT_LITERAL)
            if self._derived_from_clock(node.value):
                self.r.timing.add(name)
        self._fill(node.target, node.value)
        self.generic_visit(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self._bind(_target_names(node.target), NOT_LITERAL)
        self.generic_visit(node)

    def visit_For(self, node: ast.For) -> None:
        names = _target_names(node.target)
        self.r.loop_targets.update(names)
        self.loop_depth += 1
        self._bind(names, NOT_LITERAL)
        self.loop_depth -= 1
        self._loop(node)

    visit_AsyncFor = visit_For  # type: ignore[assignment]

    def visit_withitem(self, node: ast.withitem) -> None:
        if node.optional_vars is not None:
            self._bind(_target_names(node.optional_vars), NOT_LITERAL)
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._bind([(alias.asname or alias.name).partition(".")[0]], NOT_LITERAL)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != "*":
                self._bind([alias.asname or alias.name], NOT_LITERAL)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and \
                func.attr in ("append", "extend", "insert"):
            self.r.appended.add(func.value.id)
            self.r.extended.add(func.value.id)
            if any(self._derived_from_clock(arg) for arg in node.args):
                self.r.timing.add(func.value.id)
        if isinstance(func, ast.Attribute) and func.attr in _FIT_METHODS:
            root = chain_root(func.value)
            if root is not None:
                self.r.fitted.add(root)
        if called_name(node) in GRID_MAKERS:
            for arg in list(node.args) + [k.value for k in node.keywords]:
                self.r.bookkeeping.update(sub.id for sub in ast.walk(arg)
                                          if isinstance(sub, ast.Name))
        self.generic_visit(node)

    def visit_ListComp(self, node: ast.AST) -> None:
        self.generic_visit(node)


def analyze(code: str) -> CellAnalysis:
    """Analyse Python source (already stripped of IPython syntax).

    Parameters
    ----------
    code : str
        The cell body as Python.

    Returns
    -------
    CellAnalysis
        Empty when the code does not parse (the run then records no rules).
    """
    result = CellAnalysis()
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return result
    binder = _Binder(result)
    for statement in tree.body:
        binder.visit(statement)
    result.unconditional = _unconditional_names(tree.body)
    result.reads = global_reads(code)
    return result


def global_reads(code: str) -> set[str]:
    """Names the code reads from the global namespace (not parameters or locals of the
    functions, lambdas and comprehensions it defines)."""
    import symtable

    try:
        top = symtable.symtable(code, "<cell>", "exec")
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    tables = [top]
    while tables:
        table = tables.pop()
        for symbol in table.get_symbols():
            if not symbol.is_referenced():
                continue
            if table is top or symbol.is_global():
                names.add(symbol.get_name())
        tables.extend(table.get_children())
    return names


class _AbstractLiterals(ast.NodeTransformer):
    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        return ast.Constant(value="<literal>")


def code_key(code: str) -> str:
    """A stable key for a cell: its code with every literal value abstracted.

    Editing a hyperparameter (``C = 0.5`` → ``C = 1.0``) keeps the key;
    changing what the code does changes it. Code that does not parse is
    keyed by its text.
    """
    try:
        tree = _AbstractLiterals().visit(ast.parse(code))
        text = ast.dump(tree, annotate_fields=False, include_attributes=False)
    except (SyntaxError, RecursionError):
        text = " ".join(code.split())
    return "code-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
