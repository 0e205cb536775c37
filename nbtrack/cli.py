"""The ``nbtrack`` command: browse and maintain a store from the terminal.

Every error is one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .cli_common import open_for_reading as _open
from .cli_common import output_width
from .cli_interop import add_interop_commands
from .cli_models import add_model_commands
from .cli_store import add_store_commands
from .errors import InvalidValueError, NbtrackError
from .store import Store
from .views.encode import to_json
from .views.table import render_text
from .report import format_cell as _fmt
from .report import format_time as _fmt_time

__all__ = ["main"]


def cmd_runs(args: argparse.Namespace) -> int:
    """List runs as a table or JSON."""
    from .filters import parse_filter, parse_order_by

    where = parse_filter(args.filter) if args.filter else None
    order = parse_order_by(args.sort) if args.sort else []
    if args.limit is not None and args.limit < 1:
        raise InvalidValueError(f"--limit must be 1 or more, got {args.limit}")
    store = _open(args)
    _check_experiment(store, args.experiment)
    table = store.search(where, order, args.experiment, args.limit)
    if args.json:
        print(to_json(table.records(), indent=2))
        return 0
    if not len(table):
        what = "match the filter" if where else "yet"
        scope = f" in experiment {args.experiment!r}" if args.experiment else ""
        print(f"no runs {what}{scope} (store: {store.uri})", file=sys.stderr)
        return 0
    several = len(set(table.base["experiment"])) > 1
    params, metrics = sorted(table.params), sorted(table.metrics)
    if not args.wide:
        # estimator settings (clf.alpha, model.tol, ...) drown a terminal table
        params = [k for k in params if "." not in k]
    headers = ["run_id"] + (["experiment"] if several else []) + \
        ["name", "status", "started", "duration"] + \
        [f"metrics.{k}" for k in metrics] + [f"params.{k}" for k in params]
    rows = []
    for record in table.records():
        duration = record["duration"]
        rows.append([record["run_id"]] + ([record["experiment"]] if several else [])
                    + [_fmt(record["name"]), record["status"], _fmt_time(record["start_time"]),
                       "" if duration is None else f"{duration:.2f}s"]
                    + [_fmt(record["metrics"].get(k)) for k in metrics]
                    + [_fmt(record["params"].get(k)) for k in params])
    if args.wide:
        print(render_text(headers, rows, width=None, cap=None))
    else:
        print(render_text(headers, rows, width=output_width()))
    return 0


def _check_experiment(store: Store, experiment: str | None) -> None:
    if experiment is not None and experiment not in store.experiments():
        known = ", ".join(sorted(store.experiments())) or "none yet"
        raise InvalidValueError(f"no experiment {experiment!r} in {store.uri} "
                                f"(experiments: {known})")


def cmd_show(args: argparse.Namespace) -> int:
    """Show one run in full."""
    from .registry import registered_as
    from .report import describe_run

    store = _open(args)
    run = store.get_run(args.run)
    record = run.record
    if args.json:
        data = run.to_dict()
        data["context"] = record.to_dict()
        print(to_json(data, indent=2))
        return 0
    print(describe_run(run, record, registered_as(store, run.run_id)))
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
    print(text_table(table, only_differences=args.only_differences, wide=args.wide,
                     width=output_width()))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write a notebook that re-creates a run."""
    from .repro.notebook import export_run

    print(export_run(_open(args), args.run, args.path, force=args.force))
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
    export.add_argument("path", help="the .ipynb to write, or a folder to write "
                        "<run name>.ipynb into")
    export.add_argument("--force", action="store_true", help="overwrite an existing file")
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

    add_model_commands(sub)
    add_interop_commands(sub)
    add_store_commands(sub)
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
