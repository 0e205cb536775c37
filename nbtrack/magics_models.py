"""``%track`` commands of the model lifecycle: register, models, promote, drift, monitor."""

from __future__ import annotations

from typing import Any, Callable

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument, magic_arguments

from .magic_args import CommandMixin
from .magic_args import named as _named
from .magic_args import parse_line as _parse
from .magic_args import split_names as _names

__all__ = ["ModelCommands"]


class ModelCommands(CommandMixin):
    """The lifecycle commands, mixed into :class:`~nbtrack.magics.TrackMagics`."""

    @magic_arguments()
    @argument("words", nargs="+", metavar="[RUN] NAME",
              help="the run (default: the last run of this session) and the model name")
    @argument("--alias", "-a", help="also point this alias at the new version")
    @argument("--artifact", help="the model artifact, when the run saved several")
    @argument("--onnx", action="store_true", help="also keep an ONNX export (scikit-learn "
              "models; nbtrack[onnx]), served by nbtrack serve once checked equal to the "
              "model on the reference rows")
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
        version = register_model(store, run_id, args.words[-1], args.artifact,
                                 onnx=args.onnx)
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

    @magic_arguments()
    @argument("address", help="the served version: NAME, NAME/3 or NAME@production")
    @argument("--window", "-w", help="consecutive windows of this length: 30m, 6h, 1d "
              "(default: one window of the latest requests)")
    @argument("--windows", type=int, default=30, help="with --window: how many windows, the "
              "last holding the latest request (default 30)")
    @argument("--last", "-n", type=int, default=1000, help="without --window: how many of "
              "the latest requests (default 1000)")
    @argument("--reference", help="name of a DataFrame of the training inputs (default: the "
              "sample kept at registration)")
    @argument("--no-record", action="store_true", help="do not store a monitor run")
    @_named("track monitor")
    def _cmd_monitor(self, line: str) -> Any:
        """Health and input drift of a served version, and whether its retrain rule fires."""
        args = _parse(self._cmd_monitor, line)
        if args is None:
            return None
        reference = None
        if args.reference is not None:
            namespace = self.shell.user_ns if self.shell is not None else {}
            if args.reference not in namespace:
                raise UsageError(f"no variable {args.reference!r} in the notebook; give the "
                                 "name of a DataFrame, e.g. --reference X_train")
            reference = namespace[args.reference]
        from .monitoring.monitor import monitor_served

        return monitor_served(self.tracker, args.address, reference, args.last,
                              record=not args.no_record, window=args.window,
                              windows=args.windows)

    #: each command and the method that runs it
    MODEL_COMMANDS: dict[str, Callable[[Any, str], Any]] = {
        "register": _cmd_register, "models": _cmd_models, "promote": _cmd_promote,
        "drift": _cmd_drift, "monitor": _cmd_monitor,
    }
