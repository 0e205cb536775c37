"""``%track sweep``: re-execute a run over a grid of params, locally or on Dask."""

from __future__ import annotations

from typing import Any, Callable

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument, magic_arguments

from .magic_args import CommandMixin
from .magic_args import named as _named
from .magic_args import parse_line as _parse

__all__ = ["SweepCommands"]


class SweepCommands(CommandMixin):
    """The sweep command, mixed into :class:`~nbtrack.magics.TrackMagics`."""

    @magic_arguments()
    @argument("words", nargs="*", metavar="[RUN] NAME=VALUES",
              help="the run (default: the last run of this session), then one NAME=VALUES "
              "per swept param: comma-separated Python literals (else strings) and inclusive "
              "integer ranges, e.g. C=0.01,0.1,1 max_depth=2..8 kernel=rbf,linear")
    @argument("--engine", "-e", choices=("local", "dask"),
              help="local: parallel kernels on this machine (default); dask: tasks on a "
              "dask.distributed cluster (pip install 'nbtrack[dask]')")
    @argument("--jobs", "-j", type=int, help="points at once: kernels, or the workers of the "
              "LocalCluster started without --scheduler (default: the number of cores)")
    @argument("--scheduler", "-s", help="address of a running Dask scheduler, e.g. "
              "tcp://10.0.0.5:8786 (implies --engine dask)")
    @argument("--quiet", "-q", action="store_true", help="no progress bar")
    @_named("track sweep")
    def _cmd_sweep(self, line: str) -> Any:
        """Re-execute a run once per point of a grid of params, as child runs of it."""
        args = _parse(self._cmd_sweep, line)
        if args is None:
            return None
        from .sweeps import sweep
        from .sweeps.grid import parse_grid_words

        words = list(args.words)
        run = words.pop(0) if words and "=" not in words[0] else None
        if not words:
            raise UsageError("give the params to sweep, e.g. %track sweep C=0.1,1 "
                             "max_depth=2..8 (see %track sweep --help)")
        grid = parse_grid_words(words)
        engine = args.engine or ("dask" if args.scheduler else "local")
        return sweep(self._run_or_last(run), grid, engine=engine, jobs=args.jobs,
                     scheduler=args.scheduler, progress=not args.quiet)

    #: each command and the method that runs it
    SWEEP_COMMANDS: dict[str, Callable[[Any, str], Any]] = {"sweep": _cmd_sweep}
