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
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from .cells import analyze, global_reads
from .magic_cells import cell_magic

__all__ = ["CellUse", "Slice", "uses_of", "dependency_slice", "python_source", "python_body",
           "exported_source", "needed_names"]

_BUILTINS = set(dir(builtins)) | {"get_ipython", "display", "In", "Out", "exit", "quit"}
#: Methods that change the object they are called on.
MUTATORS = {"append", "extend", "insert", "update", "pop", "remove", "clear", "sort",
            "fit", "partial_fit", "fit_transform", "set_params", "add", "discard",
            "setdefault", "fillna", "drop", "rename", "reset_index", "set_index",
            "load_state_dict", "train", "eval", "to", "step", "zero_grad", "backward"}


#: Line magics that bind names no code shows (typed, or as the history stores them).
_UNTRACEABLE_MAGIC = re.compile(
    r"^\s*%(run|store|load)\b|run_line_magic\(['\"](run|store|load)['\"]", re.MULTILINE)


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


def python_body(source: str) -> str:
    """The Python a cell runs in the user's namespace.

    A cell magic with a Python body (``%%track``, ``%%time``, ``%%capture``) is its
    body, whether written as typed or as the session history stores it; any other
    cell magic (``%%bash``, ``%%writefile``) runs no Python here.
    """
    magic = cell_magic(source)
    if magic is None:
        return python_source(source)
    if not magic.runs_python:
        return ""
    code = python_source(magic.body)
    if magic.name == "capture" and magic.line.split():
        # ``%%capture out`` binds ``out``
        name = [w for w in magic.line.split() if not w.startswith("-")][:1]
        if name and name[0].isidentifier():
            code += f"\n{name[0]} = None"
    return code


def exported_source(source: str) -> str:
    """A history cell as it goes into an exported notebook.

    An earlier ``%%track`` cell becomes its plain body (reproducing one run must not
    record others); other cell magics are written back the way they are typed.
    """
    magic = cell_magic(source)
    if magic is None:
        return source
    if magic.name == "track":
        return magic.body
    return f"%%{magic.name} {magic.line}".rstrip() + "\n" + magic.body


class _Mutations(ast.NodeVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_FunctionDef(self, node: ast.AST) -> None:
        pass  # what a function would do when called is not this cell's doing

    visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = visit_FunctionDef

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
    code = python_body(source)
    analysis = analyze(code)
    mutations = _Mutations()
    try:
        mutations.visit(ast.parse(code))
    except SyntaxError:
        pass
    magic = bool(_UNTRACEABLE_MAGIC.search(source))
    reads = (analysis.reads | (analysis.appended & analysis.bound)) - _BUILTINS
    return CellUse(frozenset(analysis.bound), frozenset(mutations.names),
                   frozenset(reads), magic)


def dependency_slice(history: Sequence[Mapping[str, Any]], source: str,
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
    needed = set(_needs(source)) - exclude
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
        needed |= _needs(cell["source"])
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


def needed_names(source: str) -> frozenset[str]:
    """Names a cell uses that earlier cells must provide (its inputs)."""
    return _needs(source) - _BUILTINS


@functools.lru_cache(maxsize=4096)
def _needs(source: str) -> frozenset[str]:
    """Names a cell needs from earlier cells.

    Those it reads without binding, and those it reads or changes in place before
    binding them itself (``n += 1``, ``model.fit(...)`` on a model made earlier).
    A name the cell binds before reading it is its own, even when the cell then
    changes it (``clf = SGD(); clf.partial_fit(...)``, ``losses = []; losses.append(...)``).
    """
    use = uses_of(source)
    first = _bound_before_read(source)
    return frozenset((use.reads - use.binds) | ((use.reads & (use.binds | use.mutates)) - first))


@functools.lru_cache(maxsize=1024)
def _bound_before_read(source: str) -> frozenset[str]:
    """Names the cell binds at top level before any statement reads them."""
    code = python_body(source)
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
