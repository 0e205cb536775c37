"""The ``nbtrack`` command: browse and maintain a store from the terminal.

Every error is one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Sequence

from .errors import NbtrackError
from .views.encode import to_json
from .views.table import render_text
from .report import format_cell as _fmt
from .report import format_time as _fmt_time

__all__ = ["main"]


def _open(args: argparse.Namespace) -> Any:
    from .config import find_store_uri
    from .store import open_store

    store = open_store(args.store or find_store_uri())
    store.reap_dead_runs()
    return store


def cmd_runs(args: argparse.Namespace) -> int:
    """List runs as a table or JSON."""
    from .filters import parse_filter, parse_order_by

    where = parse_filter(args.filter) if args.filter else None
    order = parse_order_by(args.sort) if args.sort else []
    store = _open(args)
    table = store.search(where, order, args.experiment, args.limit)
    ids = table.base["run_id"]
    if args.json:
        print(to_json(table.records(), indent=2))
        return 0
    if not ids:
        print("no runs" + (" match the filter" if where else " yet"), file=sys.stderr)
        return 0
    params, metrics = sorted(table.params), sorted(table.metrics)
    if not args.wide:
        # estimator settings (clf.alpha, model.tol, ...) drown a terminal table
        params = [k for k in params if "." not in k]
    headers = ["run_id", "name", "status", "started", "duration"] + \
        [f"params.{k}" for k in params] + [f"metrics.{k}" for k in metrics]
    rows = []
    for i, run_id in enumerate(ids):
        start, end = table.base["start_time"][i], table.base["end_time"][i]
        rows.append([run_id, _fmt(table.base["name"][i]), table.base["status"][i],
                     _fmt_time(start), "" if end is None else f"{end - start:.2f}s"]
                    + [_fmt(table.params[k][i]) for k in params]
                    + [_fmt(table.metrics[k][i]) for k in metrics])
    print(render_text(headers, rows))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """Show one run in full."""
    from .report import describe_run

    store = _open(args)
    run = store.get_run(args.run)
    record = run.record
    if args.json:
        data = run.to_dict()
        data["context"] = record.to_dict()
        print(to_json(data, indent=2))
        return 0
    print(describe_run(run, record))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """Runs side by side in the terminal (params that differ marked)."""
    from .views.selection import select_runs
    from .views.table import differing_params, text_table

    store = _open(args)
    table = select_runs(store, args.runs or None, args.filter, args.experiment,
                        args.sort, args.limit)
    if args.json:
        print(to_json({"runs": table.records(), "differing_params": differing_params(table)},
                      indent=2))
        return 0
    if not len(table):
        print("no runs to compare", file=sys.stderr)
        return 0
    print(text_table(table, only_differences=args.only_differences, wide=args.wide))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write a notebook that re-creates a run."""
    from .repro.notebook import export_run

    print(export_run(_open(args), args.run, args.path))
    return 0


def cmd_reproduce(args: argparse.Namespace) -> int:
    """Re-execute a run in a fresh kernel; exit 1 when a metric differs."""
    from .repro.rerun import reproduce_run

    result = reproduce_run(_open(args), args.run, args.tolerance, progress=not args.quiet)
    print(result)
    return 0 if result.ok else 1


def cmd_gc(args: argparse.Namespace) -> int:
    """List (or with --delete, remove) artifact files no run refers to."""
    store = _open(args)
    found = store.gc(dry_run=not args.delete, min_age=args.min_age)
    verb = "deleted" if args.delete else "would delete"
    for item in found:
        print(f"{verb} {item}")
    advice = "" if args.delete else "run with --delete to remove them"
    print(f"{len(found)} unreferenced file(s); {advice}".rstrip("; "), file=sys.stderr)
    return 0


def cmd_fsck(args: argparse.Namespace) -> int:
    """Check the database and every artifact; exit 1 on any problem."""
    store = _open(args)
    problems = store.fsck()
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print("ok: database integrity and every artifact hash check out")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``nbtrack`` command."""
    from ._version import __version__

    parser = argparse.ArgumentParser(prog="nbtrack", description="Experiment tracking that "
                                     "lives in the notebook: browse and maintain a run store.")
    parser.add_argument("--version", action="version", version=f"nbtrack {__version__}")
    parser.add_argument("--store", help="store folder or URI (default: NBTRACK_STORE, else "
                        "the nearest .nbtrack folder)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    runs = sub.add_parser("runs", help="list runs")
    runs.add_argument("--filter", "-f", help="e.g. \"metrics.acc > 0.9 and params.model = 'rf'\"")
    runs.add_argument("--sort", "-s", help="e.g. 'metrics.acc DESC' (default: newest first)")
    runs.add_argument("--limit", "-n", type=int, help="at most this many runs")
    runs.add_argument("--experiment", "-e", help="only this experiment")
    runs.add_argument("--json", action="store_true", help="print JSON")
    runs.add_argument("--wide", "-w", action="store_true",
                      help="also show dotted params such as model.C (estimator settings)")
    runs.set_defaults(func=cmd_runs)

    show = sub.add_parser("show", help="show one run")
    show.add_argument("run", help="run id or unique prefix (4+ characters)")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=cmd_show)

    compare = sub.add_parser("compare", help="runs side by side (params that differ marked)")
    compare.add_argument("runs", nargs="*", help="run ids or prefixes (default: all, or the "
                         "filter's)")
    compare.add_argument("--filter", "-f", help="MLflow filter syntax")
    compare.add_argument("--sort", "-s", help="e.g. 'metrics.acc DESC'")
    compare.add_argument("--limit", "-n", type=int, help="at most this many runs")
    compare.add_argument("--experiment", "-e", help="only this experiment")
    compare.add_argument("--only-differences", "-d", action="store_true",
                         help="only params that differ across the runs")
    compare.add_argument("--wide", "-w", action="store_true", help="also dotted params")
    compare.add_argument("--json", action="store_true", help="print JSON")
    compare.set_defaults(func=cmd_compare)

    export = sub.add_parser("export", help="write a notebook that re-creates a run")
    export.add_argument("run", help="run id or unique prefix")
    export.add_argument("path", help="the .ipynb to write")
    export.set_defaults(func=cmd_export)

    reproduce = sub.add_parser("reproduce", help="re-execute a run in a fresh kernel and "
                               "compare its metrics (exit 1 when one differs)")
    reproduce.add_argument("run", help="run id or unique prefix")
    reproduce.add_argument("--tolerance", type=float, default=1e-9,
                           help="relative and absolute tolerance (default 1e-9)")
    reproduce.add_argument("--quiet", action="store_true", help="no progress bar")
    reproduce.set_defaults(func=cmd_reproduce)

    gc = sub.add_parser("gc", help="find artifact files no run refers to (dry run by default)")
    gc.add_argument("--delete", action="store_true", help="really delete them")
    gc.add_argument("--min-age", type=float, default=3600.0,
                    help="only files older than this many seconds (default 3600)")
    gc.set_defaults(func=cmd_gc)

    fsck = sub.add_parser("fsck", help="check database integrity and artifact hashes")
    fsck.set_defaults(func=cmd_fsck)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except NbtrackError as exc:
        print(f"nbtrack: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("nbtrack: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
