"""``%%track`` (run a cell as a run) and ``%track <command>`` (work with runs)."""

from __future__ import annotations

import shlex
from typing import Any, Callable

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments

from .capture.cell import CellOptions, TrackedCell, track_cell
from .errors import NbtrackError
from .filters import Node, all_of, by_cell, parse_filter
from .tracking import Tracker, process_tracker
from .views.live import LiveChart
from .views.summary import Summary, show_tracked_cell

__all__ = ["TrackMagics"]


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [n.strip() for n in text.split(",") if n.strip()]


def _key_values(items: list[str] | None, what: str) -> dict[str, str]:
    out = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"{what} must look like key=value, got {item!r}")
        out[key] = value
    return out


def _summary_of(tracked: TrackedCell) -> Summary:
    """The line shown under a tracked cell."""
    hidden = tracked.hidden
    return Summary(run_id=tracked.run_id, status=tracked.status.value,
                   duration=tracked.duration, params=tracked.params, metrics=tracked.metrics,
                   previous_id=tracked.previous_id, previous_metrics=tracked.previous_metrics,
                   models=list(tracked.models), error_type=tracked.error_type,
                   notes=[f"⚠ hidden state: {', '.join(hidden)}"] if hidden else [])


def _named(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command the name its ``--help`` shows (``%track runs``)."""
    def rename(func: Callable[..., Any]) -> Callable[..., Any]:
        func.__name__ = name
        return func
    return rename


def _parse(func: Callable[..., Any], line: str) -> Any:
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


@magics_class
class TrackMagics(Magics):
    """Experiment tracking in the notebook."""

    def __init__(self, shell: Any, state: Any) -> None:
        super().__init__(shell)
        self.state = state

    @property
    def tracker(self) -> Tracker:
        return process_tracker()

    # ---------------------------------------------------------------- commands
    def _command(self, line: str) -> Any:
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise UsageError(f"cannot parse {line!r}: {exc}") from None
        if not words:
            return self._status("")
        command, rest = words[0], line.strip()[len(words[0]):].strip()
        if command in ("-h", "--help"):
            _parse(self.track, "--help")
            return None
        handler = self._COMMANDS.get(command)
        if handler is None:
            raise UsageError(f"unknown command {command!r}; use one of: "
                             f"{', '.join(self._COMMANDS)}")
        try:
            return handler(self, rest)
        except NbtrackError as exc:
            raise UsageError(str(exc).splitlines()[0]) from None

    @magic_arguments()
    @argument("name", help="experiment name (created on first use)")
    @_named("track experiment")
    def _cmd_experiment(self, line: str) -> None:
        """Set the experiment new runs go to."""
        args = _parse(self._cmd_experiment, line)
        if args is None:
            return
        self.tracker.set_experiment(args.name)
        print(f"experiment: {args.name}")

    @magic_arguments()
    @argument("--filter", "-f", help="e.g. \"metrics.acc > 0.9 and params.model = 'rf'\"")
    @argument("--sort", "-s", help="e.g. 'metrics.acc DESC' (default: newest first)")
    @argument("--limit", "-n", type=int, help="at most this many runs")
    @argument("--cell", "-c", nargs="?", const="", default=None,
              help="only runs of one cell: the last tracked cell, or the given cell id")
    @argument("--all", "-a", action="store_true", help="every experiment, not just the active")
    @argument("--wide", "-w", action="store_true", help="every column: end times, tags and "
              "dotted estimator settings, times to the nanosecond")
    @_named("track runs")
    def _cmd_runs(self, line: str) -> Any:
        """Runs as a DataFrame."""
        args = _parse(self._cmd_runs, line)
        if args is None:
            return None
        where = self._with_cell(args.filter, args.cell)
        tracker = self.tracker
        experiment = None if args.all or args.cell is not None else tracker.experiment
        return tracker.runs(experiment=experiment, filter=where, order_by=args.sort,
                            limit=args.limit, compact=not args.wide)

    def _run_or_last(self, run_id: str | None) -> str:
        run_id = run_id or self.state.last_run_id
        if not run_id:
            raise UsageError("no run given and none made in this session")
        return run_id

    def _with_cell(self, text: str | None, cell: str | None) -> Node | None:
        """The filter typed, and ``--cell`` (the last tracked cell, or the id given)."""
        where = parse_filter(text) if text else None
        if cell is None:
            return where
        return all_of(where, by_cell(cell or self._last_cell_id()))

    def _last_cell_id(self) -> str:
        if not self.state.last_run_id:
            raise UsageError("no tracked cell has run in this session; give a cell id")
        return self.tracker.get_run(self.state.last_run_id).cell_id or ""

    @magic_arguments()
    @argument("run", nargs="?", help="run id or unique prefix (default: the last run)")
    @_named("track show")
    def _cmd_show(self, line: str) -> Any:
        """Show one run: params, metrics, tags, artifacts, environment."""
        args = _parse(self._cmd_show, line)
        if args is None:
            return None
        from .registry import registered_as
        from .report import describe_run

        run_id = self._run_or_last(args.run)
        store = self.tracker.store
        run = store.get_run(run_id)
        print(describe_run(run, run.record, registered_as(store, run.run_id)))
        return None

    @magic_arguments()
    @argument("--run", "-r", help="run id or prefix (default: the last run of this session)")
    @argument("values", nargs="+", metavar="KEY=VALUE",
              help="numbers are logged as metrics, anything else as tags")
    @_named("track log")
    def _cmd_log(self, line: str) -> None:
        """Add metrics or tags to a finished run."""
        args = _parse(self._cmd_log, line)
        if args is None:
            return
        run_id = args.run or self.state.last_run_id
        if not run_id:
            raise UsageError("no run to log into: run a %%track cell first or pass --run")
        from .capture.record import log_into_run

        values = _key_values(args.values, "each value")
        done = log_into_run(self.tracker, run_id, values)
        print(f"logged {', '.join(done)} into {self.tracker.store.get_run(run_id).run_id}")

    @magic_arguments()
    @argument("runs", nargs="*", help="run ids or prefixes (default: the active experiment)")
    @argument("--filter", "-f", help="MLflow filter syntax")
    @argument("--cell", "-c", nargs="?", const="", default=None,
              help="runs of the last tracked cell, or of the given cell id")
    @_named("track compare")
    def _cmd_compare(self, line: str) -> Any:
        """Runs side by side: differing params highlighted, charts of their metrics."""
        args = _parse(self._cmd_compare, line)
        if args is None:
            return None
        from .views.compare import compare_runs

        return compare_runs(self.tracker, args.runs or None,
                            self._with_cell(args.filter, args.cell))

    @magic_arguments()
    @argument("run", help="run id or unique prefix")
    @argument("path", help="the .ipynb to write, or a folder to write <run name>.ipynb into")
    @argument("--force", action="store_true", help="overwrite an existing file")
    @_named("track export")
    def _cmd_export(self, line: str) -> None:
        """Write a standalone notebook (and pinned requirements) that re-creates a run."""
        args = _parse(self._cmd_export, line)
        if args is None:
            return
        from .repro.notebook import export_run

        print(export_run(self.tracker.store, args.run, args.path, force=args.force))

    @magic_arguments()
    @argument("run", nargs="?", help="run id or unique prefix (default: the last run)")
    @argument("--tolerance", type=float, default=1e-9, help="relative and absolute tolerance")
    @_named("track reproduce")
    def _cmd_reproduce(self, line: str) -> Any:
        """Re-execute a run in a fresh kernel and compare its metrics with the original."""
        args = _parse(self._cmd_reproduce, line)
        if args is None:
            return None
        from .repro.rerun import reproduce_run

        return reproduce_run(self.tracker.store, self._run_or_last(args.run), args.tolerance)

    @magic_arguments()
    @_named("track status")
    def _cmd_status(self, line: str) -> None:
        """Store, run count and active experiment."""
        if _parse(self._cmd_status, line) is not None:
            self._status(line)

    def _status(self, line: str) -> None:
        from .report import status_line

        print(status_line(self.tracker))

    @magic_arguments()
    @argument("words", nargs="+", metavar="[RUN] NAME",
              help="the run (default: the last run of this session) and the model name")
    @argument("--alias", "-a", help="also point this alias at the new version")
    @argument("--artifact", help="the model artifact, when the run saved several")
    @_named("track register")
    def _cmd_register(self, line: str) -> None:
        """Register a run's model as the next version of a registered model."""
        args = _parse(self._cmd_register, line)
        if args is None:
            return
        if len(args.words) > 2:
            raise UsageError("give at most a run and a name: %track register [RUN] NAME")
        from .registry import register_model, set_alias

        run_id = self._run_or_last(args.words[0] if len(args.words) == 2 else None)
        store = self.tracker.store
        version = register_model(store, run_id, args.words[-1], args.artifact)
        print(f"registered {version.address} from {version.run_id}")
        if args.alias:
            set_alias(store, version.name, args.alias, version.version)
            print(f"{version.name}@{args.alias} -> {version.version}")

    @magic_arguments()
    @argument("name", nargs="?", help="a model: its versions (default: every model)")
    @_named("track models")
    def _cmd_models(self, line: str) -> Any:
        """Registered models, or the versions of one, as a DataFrame."""
        args = _parse(self._cmd_models, line)
        if args is None:
            return None
        from .registry import models_frame, versions_frame

        store = self.tracker.store
        return versions_frame(store, args.name) if args.name else models_frame(store)

    @magic_arguments()
    @argument("name")
    @argument("version", type=int)
    @argument("alias")
    @argument("--expected", type=int, help="move only if the alias points at this version "
              "now (compare-and-set)")
    @_named("track promote")
    def _cmd_promote(self, line: str) -> None:
        """Point an alias (production, staging) at a version."""
        args = _parse(self._cmd_promote, line)
        if args is None:
            return
        from .registry import set_alias

        old = set_alias(self.tracker.store, args.name, args.alias, args.version, args.expected)
        print(f"{args.name}@{args.alias} -> {args.version} "
              f"({'new' if old is None else f'was {old}'})")

    @magic_arguments()
    @argument("reference", help="name of the reference DataFrame (e.g. X_train)")
    @argument("current", help="name of the current DataFrame (e.g. X_live)")
    @argument("--columns", help="comma-separated columns to compare (default: all)")
    @argument("--correction", default="bonferroni", choices=("bonferroni", "fdr", "none"))
    @argument("--no-record", action="store_true", help="do not store a monitor run")
    @_named("track drift")
    def _cmd_drift(self, line: str) -> Any:
        """Data drift of one DataFrame against another, column by column."""
        args = _parse(self._cmd_drift, line)
        if args is None:
            return None
        namespace = self.shell.user_ns if self.shell is not None else {}
        for name in (args.reference, args.current):
            if name not in namespace:
                raise UsageError(f"no variable {name!r} in the notebook; give the names of "
                                 "two DataFrames, e.g. %track drift X_train X_live")
        from .monitoring.recording import record_drift

        return record_drift(self.tracker, namespace[args.reference], namespace[args.current],
                            _names(args.columns), args.correction, record=not args.no_record)

    #: ``%track <command>``: each command and the method that runs it.
    _COMMANDS: dict[str, Callable[[TrackMagics, str], Any]] = {
        "experiment": _cmd_experiment, "runs": _cmd_runs, "show": _cmd_show, "log": _cmd_log,
        "status": _cmd_status, "compare": _cmd_compare, "export": _cmd_export,
        "reproduce": _cmd_reproduce, "register": _cmd_register, "models": _cmd_models,
        "promote": _cmd_promote, "drift": _cmd_drift,
    }

    # ------------------------------------------------------------- the magic
    @magic_arguments()
    @argument("--name", "-n", help="run name (also keys the cell's runs when the frontend "
              "sends no cell id)")
    @argument("--experiment", "-e", help="experiment for this run (default: the active one)")
    @argument("--params", help="comma-separated names to record as params (replaces the "
              "literal-assignment rule)")
    @argument("--metrics", help="comma-separated names to record as metrics (replaces the "
              "computed-number rule)")
    @argument("--no-models", action="store_true", help="do not save fitted estimators")
    @argument("--no-inputs", action="store_true", help="do not fingerprint input data")
    @argument("--tag", "-t", action="append", metavar="KEY=VALUE", help="tag the run "
              "(repeatable)")
    @argument("--quiet", "-q", action="store_true", help="no summary line")
    @argument("--parent", help="run this one re-creates (set by exported notebooks)")
    @argument("--no-live", action="store_true", help="no live chart of stepped metrics")
    @argument("command", nargs="*", help=f"with %%track (line): {', '.join(_COMMANDS)}; "
              "see %%track <command> --help")
    @line_cell_magic
    def track(self, line: str, cell: str | None = None) -> Any:
        """Record a cell as a run (``%%track``), or work with runs (``%track <command>``).

        Under ``%%track`` every execution of the cell is a new run: literal
        assignments become params, numbers the cell computes become metrics,
        lists of numbers it builds become metric histories, fitted estimators
        are saved, and the data it reads is fingerprinted.
        """
        __tracebackhide__ = True  # noqa: F841
        if cell is None:
            return self._command(line)
        args = _parse(self.track, line)
        if args is None:
            return None
        if args.command:
            raise UsageError(f"%%track takes options only, not {' '.join(args.command)!r}; "
                             "see %%track --help")
        options = CellOptions(name=args.name, experiment=args.experiment,
                              params=_names(args.params), metrics=_names(args.metrics),
                              models=not args.no_models, inputs=not args.no_inputs,
                              tags=_key_values(args.tag, "--tag"), quiet=args.quiet,
                              parent=args.parent, live=not args.no_live)
        tracked = track_cell(self.shell, self.tracker, options, cell,
                             frontend_cell_id=self.state.cell_id,
                             executed=self.state.executed,
                             watch=LiveChart if options.live else None,
                             show=None if options.quiet else self._show)
        if tracked is not None:
            self.state.last_run_id = tracked.run_id
        return None

    def _show(self, tracked: TrackedCell) -> None:
        show_tracked_cell(_summary_of(tracked), self.tracker.store,
                          self._comparable_cell(tracked))

    def _comparable_cell(self, tracked: TrackedCell) -> str | None:
        """The cell whose runs a button may offer to compare: one that ran before, in a
        live frontend (batch runs, nbclient or papermill, could never click it)."""
        live_frontend = tracked.frontend_cell_id is not None and \
            getattr(self.shell, "kernel", None) is not None
        return tracked.cell_id if tracked.previous_id is not None and live_frontend else None
