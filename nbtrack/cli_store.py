"""The ``nbtrack`` commands that move a whole store: migrate."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .cli_common import progress_for

__all__ = ["add_store_commands"]


def cmd_migrate(args: argparse.Namespace) -> int:
    """Copy a store into another, verify the copy; exit 1 when it differs."""
    from .store import open_store
    from .store.migrate import migrate

    source = open_store(args.source, create=False)
    try:
        destination = open_store(args.destination)
        try:
            report = migrate(source, destination, progress=progress_for(args))
        finally:
            destination.close()
    finally:
        source.close()
    print(json.dumps(report.to_dict(), indent=2) if args.json else report)
    if not report.ok:
        print("nbtrack: error: the destination differs from the source in "
              f"{', '.join(report.mismatches)}; see the table above", file=sys.stderr)
        return 1
    return 0


def add_store_commands(sub: Any) -> None:
    """Register ``migrate`` on the ``nbtrack`` parser's subcommands."""
    migrate = sub.add_parser(
        "migrate", help="copy every run, model and log of a store into another (SQLite or "
        "PostgreSQL, either way), then verify it table by table; safe to re-run")
    migrate.add_argument("--from", dest="source", required=True,
                         help="the store to copy (folder or URI)")
    migrate.add_argument("--to", dest="destination", required=True,
                         help="the store to copy into (created if missing)")
    migrate.add_argument("--json", action="store_true", help="print the report as JSON")
    migrate.add_argument("--quiet", action="store_true", help="no progress bar")
    migrate.set_defaults(func=cmd_migrate)
