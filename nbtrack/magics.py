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
from .magic_args import key_values as _key_values
from .magic_args import named as _named
from .magic_args import parse_line as _parse
from .magic_args import split_names as _names
from .magics_models import ModelCommands
from .magics_sweep import SweepCommands
from .tracking import Tracker, process_tracker
from .views.live import LiveChart
from .views.summary import Summary, show_tracked_cell

__all__ = ["TrackMagics"]


def _summary_of(tracked: TrackedCell) -> Summary:
    """The line shown under a tracked cell."""
    hidden = tracked.hidden
    return Summary(run_id=tracked.run_id, status=tracked.status.value,
                   duration=tracked.duration, params=tracked.params, metrics=tracked.metrics,
                   previous_id=tracked.previous_id, previous_metrics=tracked.previous_metrics,
                   models=list(tracked.models), error_type=tracked.error_type,
                   notes=[f"⚠ hidden state: {', '.join(hidden)}"] if hidden else [])



@magics_class
class TrackMagics(ModelCommands, SweepCommands, Magics):
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

    #: ``%track <command>``: each command and the method that runs it.
    _COMMANDS: dict[str, Callable[[TrackMagics, str], Any]] = {
        "experiment": _cmd_experiment, "runs": _cmd_runs, "show": _cmd_show, "log": _cmd_log,
        "status": _cmd_status, "compare": _cmd_compare, "export": _cmd_export,
        "reproduce": _cmd_reproduce, **ModelCommands.MODEL_COMMANDS,
        **SweepCommands.SWEEP_COMMANDS,
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
    @argument("--no-inputs", action="store_true", help="do not fingerprint input data nor keep "
              "samples of it")
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
