"""The text a tracked cell prints, kept with its run while it still reaches the user."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["OutputTee", "MAX_OUTPUT"]

#: At most this many characters of printed text are kept with a run (the start of it).
MAX_OUTPUT = 100_000


class _Tee:
    """Writes through to the real stream and keeps a bounded copy."""

    def __init__(self, stream: Any, owner: OutputTee) -> None:
        self._stream, self._owner = stream, owner

    def write(self, text: str) -> int:
        self._owner._keep(text)
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:
        # flush, isatty, fileno, encoding, ...: the real stream answers
        return getattr(self._stream, name)


class OutputTee:
    """Context manager that copies what the cell prints to ``sys.stdout``.

    The copy is bounded (:data:`MAX_OUTPUT`); the user's output is never changed.
    A cell that replaces ``sys.stdout`` itself keeps its own stream.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._size = 0
        self.truncated = False
        self._tee: _Tee | None = None

    def _keep(self, text: str) -> None:
        if not isinstance(text, str) or self._size >= MAX_OUTPUT:
            self.truncated = self.truncated or bool(text)
            return
        piece = text[:MAX_OUTPUT - self._size]
        self._parts.append(piece)
        self._size += len(piece)
        self.truncated = self.truncated or len(piece) < len(text)

    @property
    def text(self) -> str:
        """What was printed (its start, when it was longer than :data:`MAX_OUTPUT`)."""
        return "".join(self._parts)

    def __enter__(self) -> OutputTee:
        self._tee = _Tee(sys.stdout, self)
        sys.stdout = self._tee
        return self

    def __exit__(self, *exc: object) -> None:
        if sys.stdout is self._tee and self._tee is not None:
            sys.stdout = self._tee._stream
