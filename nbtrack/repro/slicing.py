"""Which earlier cells a run's cell depends on, traced through the session history.

A name the run's cell reads is provided by the latest earlier cell that binds
it (assignment, import, def, for target, ...) or changes it in place
(``df[...] = ...``, ``model.fit(...)``, ``losses.append(...)``); that cell's
own reads are traced the same way, transitively. Cells that provide nothing
needed (displays, plots, unrelated work) are left out. A name no earlier cell
provides is *hidden state*: the run cannot be reproduced from its history.
"""

from __future__ import annotations

import ast
import builtins
import functools
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..capture.analysis import analyze, global_reads

__all__ = ["CellUse", "Slice", "uses_of", "dependency_slice", "python_source"]

_BUILTINS = set(dir(builtins)) | {"get_ipython", "display", "In", "Out", "exit", "quit"}
#: Methods that change the object they are called on.
MUTATORS = {"append", "extend", "insert", "update", "pop", "remove", "clear", "sort",
            "fit", "partial_fit", "fit_transform", "set_params", "add", "discard",
            "setdefault", "fillna", "drop", "rename", "reset_index", "set_index",
            "load_state_dict", "train", "eval", "to", "step", "zero_grad", "backward"}


@dataclass(frozen=True)
class CellUse:
    """What one cell provides and needs."""

    binds: frozenset[str]
    mutates: frozenset[str]
    reads: frozenset[str]
    magic_defines: bool = False


@dataclass
class Slice:
    """The earlier cells a run needs, in execution order, and what could not be traced."""

    cells: list[dict[str, Any]] = field(default_factory=list)
    hidden: dict[str, str] = field(default_factory=dict)


def python_source(source: str) -> str:
    """Cell source with IPython syntax (magics, ``!cmd``) turned into Python."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # pragma: no cover - IPython is there whenever cells are
        return source
    try:
        return TransformerManager().transform_cell(source)
    except Exception:
        return source


def strip_track_line(source: str) -> str:
    """A ``%%track`` cell's body (other cells unchanged)."""
    first, sep, rest = source.lstrip().partition("\n")
    return rest if first.startswith("%%track") else source


class _Mutations(ast.NodeVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_FunctionDef(self, node: ast.AST) -> None:
        pass  # what a function would do when called is not this cell's doing

    visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = visit_FunctionDef  # type: ignore

    def _root(self, node: ast.AST) -> str | None:
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        return node.id if isinstance(node, ast.Name) else None

    def _target(self, target: ast.AST) -> None:
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            root = self._root(target)
            if root:
                self.names.add(root)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._target(elt)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._target(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._target(node.target)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
            root = self._root(node.func.value)
            if root:
                self.names.add(root)
        self.generic_visit(node)


@functools.lru_cache(maxsize=4096)
def uses_of(source: str) -> CellUse:
    """What a cell binds, changes in place and reads (cached by source text)."""
    code = python_source(strip_track_line(source))
    analysis = analyze(code)
    mutations = _Mutations()
    try:
        mutations.visit(ast.parse(code))
    except SyntaxError:
        pass
    magic = any(line.lstrip().startswith(("%run", "%store", "%load ", "%%capture"))
                for line in source.splitlines())
    reads = (analysis.reads | (analysis.appended & analysis.bound)) - _BUILTINS
    return CellUse(frozenset(analysis.bound), frozenset(mutations.names),
                   frozenset(reads), magic)


def dependency_slice(history: Sequence[dict[str, Any]], source: str,
                     exclude: frozenset[str] = frozenset()) -> Slice:
    """Trace the cells ``source`` depends on.

    Parameters
    ----------
    history : sequence of dict
        Earlier cells, oldest first, each with ``n`` and ``source``.
    source : str
        The run's cell.
    exclude : set of str
        Names supplied another way (the run's params, set by the parameters cell).
    """
    result = Slice()
    own = uses_of(source)
    # a name the cell binds before reading it is its own, even if it then changes it
    # in place (``clf = SGD(); clf.partial_fit(...)``, ``losses = []; losses.append(...)``)
    own_first = _bound_before_read(source)
    needed = set(own.reads - own.binds) | ((own.reads & own.mutates) - own_first)
    needed |= (own.reads & own.binds) - own_first
    needed -= exclude
    chosen: list[dict[str, Any]] = []
    magic_cells = []
    for cell in reversed(list(history)):
        use = uses_of(cell["source"])
        if use.magic_defines:
            magic_cells.append(cell)
        provided = (use.binds | use.mutates) & needed
        if not provided:
            continue
        chosen.append(cell)
        # a rebinding ends the search for that name; an in-place change does not
        needed -= use.binds & provided
        needed |= (use.reads - use.binds) | (use.reads & use.mutates)
        needed -= exclude
    for name in sorted(needed):
        if magic_cells:
            result.hidden[name] = (f"{name!r} may come from a magic in cell "
                                   f"[{magic_cells[0]['n']}] (e.g. %run), which cannot be traced")
        else:
            result.hidden[name] = (f"{name!r} is not defined by any earlier cell in the session "
                                   "history (deleted, defined outside the notebook, or by a "
                                   "tool)")
    result.cells = list(reversed(chosen))
    return result


@functools.lru_cache(maxsize=1024)
def _bound_before_read(source: str) -> frozenset[str]:
    """Names the cell binds at top level before any statement reads them."""
    code = python_source(strip_track_line(source))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return frozenset()
    bound: set[str] = set()
    read: set[str] = set()

    def reads(node: ast.AST) -> set[str]:
        text = ast.unparse(node)
        # ``n += 1`` and ``xs.append(x)`` read the old value first
        return (global_reads(text) | analyze(text).appended) - bound

    def binds(target: ast.AST) -> set[str]:
        return analyze(ast.unparse(target) + " = None").bound - read

    def visit(statements: list[ast.stmt]) -> None:
        nonlocal bound, read
        for statement in statements:
            # a loop or with target is bound before the body that reads it runs
            if isinstance(statement, (ast.For, ast.AsyncFor)):
                read |= reads(statement.iter)
                bound |= binds(statement.target)
                visit(statement.body + statement.orelse)
            elif isinstance(statement, (ast.With, ast.AsyncWith)):
                for item in statement.items:
                    read |= reads(item.context_expr)
                    if item.optional_vars is not None:
                        bound |= binds(item.optional_vars)
                visit(statement.body)
            else:
                read |= reads(statement)
                bound |= analyze(ast.unparse(statement)).bound - read

    visit(tree.body)
    return frozenset(bound)
