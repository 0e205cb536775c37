"""Run a cell body in the user's namespace exactly as IPython would.

The body is compiled under the cell's own name (tracebacks read ``Cell In[n]``
with the cell's line numbers), IPython's AST transformers apply, the value of
a last expression is displayed (unless the cell ends with ``;``), and any
exception propagates unchanged with nbtrack's frames hidden from the traceback.
"""

from __future__ import annotations

import ast
from types import TracebackType
from typing import Any

__all__ = ["run_body", "user_traceback"]


def run_body(shell: Any, body: str, execution_count: int) -> str:
    """Execute ``body`` in ``shell.user_ns``; return the filename it ran under.

    Parameters
    ----------
    shell : InteractiveShell
    body : str
        The cell without its ``%%track`` line.
    execution_count : int
        The cell's number, so tracebacks name it like any other cell.
    """
    # everything above this frame (IPython's magic machinery and nbtrack) is
    # left out of the traceback the user sees
    __tracebackhide__ = "__ipython_bottom__"  # noqa: F841
    code = shell.transform_cell(body)
    # one blank line stands for the %%track line, so line numbers match the cell
    source = "\n" + code
    filename = shell.compile.cache(source, execution_count, raw_code=source)
    tree = shell.compile.ast_parse(source, filename=filename)
    tree = shell.transform_ast(tree)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    exec(shell.compile(tree, filename, "exec"), shell.user_ns)
    if last is not None:
        value = eval(shell.compile(last, filename, "eval"), shell.user_ns)
        if not code.rstrip().endswith(";"):
            shell.displayhook(value)
    return filename


def user_traceback(tb: TracebackType | None, filename: str | None) -> TracebackType | None:
    """The part of a traceback that starts in the user's cell."""
    current = tb
    while current is not None and filename is not None:
        if current.tb_frame.f_code.co_filename == filename:
            return current
        current = current.tb_next
    return tb
