"""Cells that are one cell magic (``%%track``, ``%%time``), as typed or as IPython stores them."""

from __future__ import annotations

import ast
from dataclasses import dataclass

__all__ = ["CellMagic", "cell_magic", "PYTHON_BODY_MAGICS"]

#: Cell magics whose body is Python run in the user's namespace: what the body binds,
#: the cell binds.
PYTHON_BODY_MAGICS = frozenset({"track", "time", "capture", "prun"})


@dataclass(frozen=True)
class CellMagic:
    """A cell that is one cell magic: ``%%name line`` and its body."""

    name: str
    line: str
    body: str

    @property
    def runs_python(self) -> bool:
        """Whether the body is Python run in the user's namespace."""
        return self.name in PYTHON_BODY_MAGICS


def cell_magic(source: str) -> CellMagic | None:
    """The cell magic a cell is, in either the form typed or the form IPython stores.

    The session history (``In``) holds a ``%%track`` cell as
    ``get_ipython().run_cell_magic('track', '', '<body>')``; the notebook holds it
    as ``%%track`` + body. Both give the same :class:`CellMagic`.
    """
    stripped = source.lstrip()
    if stripped.startswith("%%"):
        first, _, body = stripped.partition("\n")
        name, _, line = first[2:].partition(" ")
        return CellMagic(name.strip(), line.strip(), body)
    if "run_cell_magic" not in source:
        return None
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return None
    call = tree.body[0].value
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            and call.func.attr == "run_cell_magic" and len(call.args) == 3 and not call.keywords):
        return None
    try:
        parts = [ast.literal_eval(arg) for arg in call.args]
    except (ValueError, TypeError, SyntaxError):
        return None
    if not all(isinstance(part, str) for part in parts):
        return None
    return CellMagic(*parts)
