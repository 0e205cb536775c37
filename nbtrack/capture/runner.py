"""Run a cell body in the user's namespace exactly as IPython would.

The body is compiled under the cell's own name (tracebacks read ``Cell In[n]``
with the cell's line numbers), IPython's AST transformers apply, the value of
a last expression is displayed (unless the cell ends with ``;``), and any
exception propagates unchanged with nbtrack's frames hidden from the traceback.
"""

from __future__ import annotations

import ast
from types import TracebackType
from typing import Any, Callable

__all__ = ["run_body", "user_traceback", "show_from_cell"]


def run_body(shell: Any, body: str, execution_count: int,
             ran_as: list[str] | None = None,
             instrument: Callable[[ast.Module], ast.Module] | None = None,
             shown: list[tuple[ast.expr, Any]] | None = None) -> str:
    """Execute ``body`` in ``shell.user_ns``; return the filename it ran under.

    Parameters
    ----------
    shell : InteractiveShell
    body : str
        The cell without its ``%%track`` line.
    execution_count : int
        The cell's number, so tracebacks name it like any other cell.
    ran_as : list of str, optional
        Receives the filename before the code runs, so a caller that catches the
        cell's exception can still find the cell's frames in its traceback.
    instrument : callable, optional
        Rewrites the parsed cell before it is compiled (it must keep what the cell
        computes and prints unchanged).
    shown : list, optional
        Receives the cell's last expression and its value when the cell displays one.
    """
    # everything above this frame (IPython's magic machinery and nbtrack) is
    # left out of the traceback the user sees
    __tracebackhide__ = "__ipython_bottom__"  # noqa: F841
    code = shell.transform_cell(body)
    # one blank line stands for the %%track line, so line numbers match the cell
    source = "\n" + code
    filename = shell.compile.cache(source, execution_count, raw_code=source)
    if ran_as is not None:
        ran_as.append(filename)
    tree = shell.compile.ast_parse(source, filename=filename)
    tree = shell.transform_ast(tree)
    if instrument is not None:
        tree = instrument(tree)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    exec(shell.compile(tree, filename, "exec"), shell.user_ns)
    if last is not None:
        value = eval(shell.compile(last, filename, "eval"), shell.user_ns)
        if not code.rstrip().endswith(";"):
            if shown is not None:
                shown.append((last.body, value))
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


class _FromCell:
    """``_render_traceback_`` that starts an exception's traceback at the user's cell.

    IPython (and ipykernel's error reply, which nbclient and papermill report)
    render an exception through this hook when it has one, so the user sees the
    traceback they would see without the magic: no ``run_cell_magic`` line, no
    "skipping hidden frames" note.
    """

    def __init__(self, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.exc, self.tb = exc, tb

    def __call__(self) -> list[str]:
        from IPython import get_ipython

        shell = get_ipython()
        exc = self.exc
        if exc is None or shell is None:
            # unpickled copy: the frames are gone, keep the message
            return [f"{type(exc).__name__}: {exc}" if exc is not None else "(no traceback)"]
        return list(shell.InteractiveTB.structured_traceback(type(exc), exc, self.tb,
                                                             tb_offset=0))

    def __reduce__(self) -> tuple[Any, ...]:
        # an exception keeps its attributes when pickled; tracebacks cannot be
        return (_FromCell, (None, None))


def show_from_cell(exc: BaseException, tb: TracebackType | None) -> None:
    """Make IPython show ``exc`` from ``tb`` (the user's first frame) on.

    Leaves exceptions alone that render themselves already, and those whose
    traceback could not be cut at the cell.
    """
    if tb is None or tb is exc.__traceback__ or hasattr(exc, "_render_traceback_"):
        return
    exc._render_traceback_ = _FromCell(exc, tb)  # type: ignore[attr-defined]
