"""Argument parsing shared by the ``%track`` commands."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any, Callable

from IPython.core.error import UsageError

if TYPE_CHECKING:
    from .tracking import Tracker

__all__ = ["CommandMixin", "split_names", "key_values", "named", "parse_line"]


class CommandMixin:
    """What a mixin of ``%track`` subcommands uses of :class:`~nbtrack.magics.TrackMagics`
    (which provides each of these)."""

    shell: Any

    @property
    def tracker(self) -> Tracker:
        """The kernel's tracker."""
        raise NotImplementedError

    def _run_or_last(self, run_id: str | None) -> str:
        raise NotImplementedError


def split_names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [n.strip() for n in text.split(",") if n.strip()]


def key_values(items: list[str] | None, what: str) -> dict[str, str]:
    out = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"{what} must look like key=value, got {item!r}")
        out[key] = value
    return out


def named(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command the name its ``--help`` shows (``%track runs``)."""
    def rename(func: Callable[..., Any]) -> Callable[..., Any]:
        func.__name__ = name
        return func
    return rename


def parse_line(func: Callable[..., Any], line: str) -> Any:
    """Parse magic arguments; ``-h`` / ``--help`` prints the help and returns None."""
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"cannot parse {line!r}: {exc}") from None
    parser = func.parser  # type: ignore[attr-defined]  # set by @magic_arguments
    if "-h" in words or "--help" in words:
        print(parser.format_help())
        return None
    # shell-style quoting, so --filter "metrics.acc > 0.9" arrives without its quotes
    return parser.parse_args(words)
