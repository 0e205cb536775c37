"""What every ``nbtrack`` command shares: opening the store it reads, the output width."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import Callable

from .config import ENV_VAR, find_store_uri, stores_below
from .errors import StoreNotFoundError
from .store import Store, open_store

__all__ = ["open_for_reading", "output_width"]


def open_for_reading(args: argparse.Namespace) -> Store:
    """The store the command reads (never created here: only tracking creates stores)."""
    configured = args.store or os.environ.get(ENV_VAR, "").strip()
    uri = configured or find_store_uri()
    try:
        store = open_store(uri, create=False)
    except StoreNotFoundError as exc:
        if configured:
            source = "--store" if args.store else ENV_VAR
            raise StoreNotFoundError(f"{exc} (from {source})") from None
        raise StoreNotFoundError(_no_store_here()) from None
    store.reap_dead_runs()
    return store


def _no_store_here() -> str:
    here = Path.cwd()
    found = stores_below(here)
    where = f"no nbtrack store in {here} or its parents ({ENV_VAR} is not set)"
    if not found:
        return f"{where}; run a %%track cell in a notebook here first, or pass --store DIR"
    shown = ", ".join(os.path.relpath(p, here) for p in found)
    return f"{where}; stores below here: {shown}; pass --store {os.path.relpath(found[0], here)}"


def output_width() -> int | None:
    """The width a table is cut to: the terminal's (or ``COLUMNS``); None when the output
    goes to a pipe or a file, where every column is wanted (``less -S``, ``grep``)."""
    if "COLUMNS" not in os.environ and not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size((120, 24)).columns


def progress_bar(done: int, total: int) -> None:
    """Draw ``done/total runs`` as a bar on stderr (a line of its own once complete)."""
    width = 30
    filled = width * done // total if total else width
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} runs")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def progress_for(args: argparse.Namespace) -> Callable[[int, int], None] | None:
    """:func:`progress_bar` unless ``--quiet``, ``--json`` or stderr is not a terminal."""
    show = not args.quiet and not args.json and sys.stderr.isatty()
    return progress_bar if show else None
