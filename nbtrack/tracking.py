"""The tracking API: the one writer of runs.

Validation and defaults (timestamps, steps, experiment) live here, so every
store backend only persists. A process has one :class:`Tracker` (module
functions in :mod:`nbtrack` delegate to it); runs nest like a stack.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Iterable, Literal, Mapping

from .entities import Artifact, Metric, Run, RunStatus
from .config import find_store_uri
from .confusion import confusion_counts
from .errors import InvalidValueError, NoActiveRunError
from .filters import Node, as_node, parse_order_by
from .guard import tell
from .run_exit import format_error, watch_exit
from .ids import new_run_id
from .store import Store, open_store
from .validation import check_key, to_metric_value, to_param_value, to_step, to_tag_value

__all__ = ["Tracker", "ActiveRun", "DEFAULT_EXPERIMENT", "process_tracker"]

DEFAULT_EXPERIMENT = "Default"


class ActiveRun:
    """A run being recorded; a context manager that ends it.

    Leaving the ``with`` block normally marks the run FINISHED; an exception
    marks it FAILED (with the traceback) and KeyboardInterrupt marks it
    INTERRUPTED. The exception is never swallowed.
    """

    def __init__(self, tracker: Tracker, run: Run) -> None:
        self._tracker = tracker
        self.run_id = run.run_id
        self.name = run.name
        self.experiment = run.experiment
        self.start_time = run.start_time
        self.cell_id = run.cell_id
        self.parent_run_id = run.parent_run_id
        self.status = RunStatus.RUNNING
        self.end_time: float | None = None
        self._next_step: dict[str, int] = {}
        self._checked_keys: set[str] = set()

    def __repr__(self) -> str:
        return f"<ActiveRun {self.run_id} {self.status.value} name={self.name!r}>"

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        if exc_type is None:
            self._tracker.end_run(self, RunStatus.FINISHED)
        elif issubclass(exc_type, KeyboardInterrupt):
            self._tracker.end_run(self, RunStatus.INTERRUPTED, format_error(exc_type, exc, tb))
        else:
            self._tracker.end_run(self, RunStatus.FAILED, format_error(exc_type, exc, tb))
        return False

    @property
    def is_open(self) -> bool:
        """Whether the run is still being recorded."""
        return self.status is RunStatus.RUNNING

    def log_param(self, key: str, value: Any) -> None:
        """Record one param of this run."""
        self._tracker.log_params({key: value}, run=self)

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Record several params of this run."""
        self._tracker.log_params(params, run=self)

    def log_metric(self, key: str, value: float, step: int | None = None) -> None:
        """Record one metric value of this run."""
        self._tracker.log_metric(key, value, step, run=self)

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        """Record several metric values of this run at one step."""
        self._tracker.log_metrics(metrics, step, run=self)

    def set_tag(self, key: str, value: Any) -> None:
        """Label this run."""
        self._tracker.set_tag(key, value, run=self)

    def get(self) -> Run:
        """The run as currently recorded in the store."""
        return self._tracker.store.get_run(self.run_id)


class Tracker:
    """Creates runs and records what they log into one store.

    Parameters
    ----------
    store : Store, optional
        Where to record; by default the store found by :func:`nbtrack.config.find_store_uri`,
        opened on first use.
    """

    def __init__(self, store: Store | None = None) -> None:
        self._store = store
        self._stack: list[ActiveRun] = []
        self._lock = threading.RLock()
        self.experiment: str | None = None
        #: The run that ended last in this process (what a check cell compares).
        self.last_run_id: str | None = None
        #: Called as ``listener(run_id, key, value, step)`` after each logged metric point.
        self.metric_listeners: list[Any] = []

    @property
    def store(self) -> Store:
        """The store (opened on first use; dead runs found then are marked KILLED)."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    store = open_store(find_store_uri())
                    store.reap_dead_runs()
                    self._store = store
        return self._store

    def use_store(self, store: Store) -> None:
        """Switch to another store (ends nothing: call with no run open)."""
        if self._stack:
            raise InvalidValueError("cannot switch stores while a run is open; end it first")
        old, self._store = self._store, store
        if old is not None and old is not store:
            old.flush()

    def set_experiment(self, name: str) -> str:
        """Make ``name`` the experiment new runs go to (created on first use)."""
        self.experiment = check_key(name, "experiment name")
        return self.experiment

    # --------------------------------------------------------- lifecycle
    def start_run(self, name: str | None = None, experiment: str | None = None,
                  params: Mapping[str, Any] | None = None,
                  tags: Mapping[str, Any] | None = None, *, cell_id: str | None = None,
                  parent_run_id: str | None = None,
                  context: Mapping[str, Any] | None = None,
                  capture_environment: bool = True) -> ActiveRun:
        """Start a run and make it the active one.

        Use it as a context manager, or end it with :meth:`end_run`. A run
        started while another is active records that one as its parent.
        """
        if name is not None and not isinstance(name, str):
            raise InvalidValueError(f"run name must be a string, got {type(name).__name__}")
        experiment = check_key(experiment or self.experiment or DEFAULT_EXPERIMENT,
                               "experiment name")
        clean_params = {check_key(k, "param name"): to_param_value(k, v)
                        for k, v in (params or {}).items()}
        clean_tags = {check_key(k, "tag name"): to_tag_value(k, v)
                      for k, v in (tags or {}).items()}
        environment = None
        if capture_environment:
            from .environment import capture_environment as capture

            environment = capture()
        with self._lock:
            if parent_run_id is None and self._stack:
                parent_run_id = self._stack[-1].run_id
            now = time.time()
            run = Run(run_id=new_run_id(now), experiment=experiment, name=name,
                      status=RunStatus.RUNNING, start_time=now, params=clean_params,
                      tags=clean_tags, cell_id=cell_id, parent_run_id=parent_run_id,
                      host=socket.gethostname(), pid=os.getpid(), heartbeat=now)
            self.store.create_run(run, context, environment)
            active = ActiveRun(self, run)
            self._stack.append(active)
            watch_exit(self)
        return active

    def end_open_runs(self, status: RunStatus, error: str | None = None) -> None:
        """End every run still open (used at interpreter exit)."""
        while self._stack:
            self.end_run(self._stack[0], status, error)

    def active_run(self) -> ActiveRun | None:
        """The innermost open run, or None."""
        return self._stack[-1] if self._stack else None

    def end_run(self, run: ActiveRun | None = None, status: RunStatus = RunStatus.FINISHED,
                error: str | None = None) -> None:
        """End ``run`` (default: the active one) and commit everything it logged."""
        with self._lock:
            run = run or self.active_run()
            if run is None or not run.is_open:
                return
            # runs opened inside this one and never closed end with it
            while self._stack and self._stack[-1] is not run and run in self._stack:
                inner = self._stack.pop()
                self._finish(inner, status, error)
            if self._stack and self._stack[-1] is run:
                self._stack.pop()
            self._finish(run, status, error)

    def _finish(self, run: ActiveRun, status: RunStatus, error: str | None) -> None:
        run.status = status
        run.end_time = time.time()
        self.last_run_id = run.run_id
        self.store.end_run(run.run_id, status, run.end_time, error)

    def _target(self, run: ActiveRun | None, what: str) -> ActiveRun:
        target = run or self.active_run()
        if target is None or not target.is_open:
            raise NoActiveRunError(what)
        return target

    # ----------------------------------------------------------- logging
    def log_params(self, params: Mapping[str, Any], run: ActiveRun | None = None) -> None:
        """Record params of a run (default: the active one)."""
        target = self._target(run, "log params")
        clean = [(check_key(k, "param name"), to_param_value(k, v)) for k, v in params.items()]
        self.store.log_batch(target.run_id, params=clean)

    def log_metric(self, key: str, value: Any, step: int | None = None,
                   run: ActiveRun | None = None) -> None:
        """Record one metric value; without ``step``, the next step of that metric."""
        target = run or (self._stack[-1] if self._stack else None)
        if target is None or not target.is_open:
            raise NoActiveRunError("log a metric")
        if key not in target._checked_keys:
            check_key(key, "metric name")
            target._checked_keys.add(key)
        number = value if type(value) is float else to_metric_value(key, value)
        if step is None:
            step = target._next_step.get(key, 0)
            if step >= 2**63:
                step = to_step(step)  # raises: the history is full
        elif type(step) is not int:
            step = to_step(step)
        elif not -(2**63) <= step < 2**63:
            step = to_step(step)
        target._next_step[key] = step + 1
        self.store.log_metric_point(target.run_id, key, number, step, time.time())
        if self.metric_listeners:
            for listener in self.metric_listeners:
                listener(target.run_id, key, number, step)

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None,
                    run: ActiveRun | None = None) -> None:
        """Record several metric values at one step."""
        target = self._target(run, "log metrics")
        for key, value in metrics.items():
            self.log_metric(key, value, step, run=target)

    def set_tag(self, key: str, value: Any, run: ActiveRun | None = None) -> None:
        """Label a run."""
        target = self._target(run, "set a tag")
        self.store.log_batch(target.run_id, tags=[(check_key(key, "tag name"),
                                                   to_tag_value(key, value))])

    def add_to_run(self, run_id: str, metrics: Mapping[str, Any] | None = None,
                   tags: Mapping[str, Any] | None = None) -> str:
        """Add metrics and tags to a run that may have ended already; return its full id.

        Each metric value goes to the next step of that metric's history.
        """
        run = self.store.get_run(run_id)
        now = time.time()
        points = []
        for key, value in (metrics or {}).items():
            check_key(key, "metric name")
            step = len(self.store.metric_history(run.run_id, key))
            points.append(Metric(key, to_metric_value(key, value), step, now))
        labels = [(check_key(k, "tag name"), to_tag_value(k, v)) for k, v in (tags or {}).items()]
        self.store.log_batch(run.run_id, metrics=points, tags=labels)
        self.store.flush()
        return run.run_id

    def set_context(self, context: Mapping[str, Any], run: ActiveRun | None = None) -> None:
        """Attach free-form facts (source code, notebook, ...) to a run."""
        self.store.set_context(self._target(run, "record context").run_id, context)

    def log_artifact(self, path: str | os.PathLike[str], name: str | None = None,
                     run: ActiveRun | None = None) -> list[Artifact]:
        """Copy a file (or every file of a folder) into the store with the run."""
        target = self._target(run, "log an artifact")
        source = Path(path)
        if not source.exists():
            raise InvalidValueError(f"cannot log {str(path)!r}: no such file or folder")
        base = name or source.name
        if source.is_dir():
            files = sorted(p for p in source.rglob("*") if p.is_file())
            root = source.resolve()
            stored = []
            for f in files:
                if not f.resolve().is_relative_to(root):
                    raise InvalidValueError(f"{f} links outside {source}; refusing to follow it")
                rel = f.relative_to(source).as_posix()
                stored.append(self.store.add_artifact(
                    target.run_id, Artifact(f"{base}/{rel}", "", 0), source_path=str(f)))
            return stored
        return [self.store.add_artifact(target.run_id, Artifact(base, "", 0),
                                        source_path=str(source))]

    def log_model(self, model: Any, name: str = "model", run: ActiveRun | None = None,
                  signature: Mapping[str, Any] | None = None) -> Artifact:
        """Save a model safely (skops) as an artifact of the run."""
        from .model_files import dump_model

        target = self._target(run, "log a model")
        data, meta = dump_model(model)
        if signature:
            meta["signature"] = dict(signature)
        return self.store.add_artifact(target.run_id, Artifact(name, "", 0, "model", meta),
                                       data=data)

    def log_model_later(self, model: Any, name: str = "model", run: ActiveRun | None = None,
                        signature: Mapping[str, Any] | None = None) -> tuple[str, ...] | None:
        """Save a model like :meth:`log_model`, its file written off the caller's thread.

        Only when the kernel's model writer can take the model (see
        :func:`nbtrack.model_files.dump_model_later`); the model is snapshotted now.
        Returns the notebook-defined functions the model holds (it loads only beside
        them), or None, having done nothing, when the caller should use :meth:`log_model`.
        """
        from .model_files import dump_model_later

        target = self._target(run, "log a model")
        later = dump_model_later(model)
        if later is None:
            return None
        meta = {"signature": dict(signature)} if signature else {}

        def failed(exc: Exception) -> None:
            tell(f"nbtrack could not save model {name!r} of run {target.run_id}: {exc}")

        self.store.add_artifact_later(target.run_id, Artifact(name, "", 0, "model", meta),
                                      later.write, failed, later.hurry, later.hand_off)
        return later.notebook_functions

    def log_table(self, table: Any, name: str, run: ActiveRun | None = None) -> Artifact:
        """Record a pandas DataFrame (a table of scores) as a CSV artifact of the run.

        The index is kept when it carries labels (anything but a plain 0..n-1 range).
        """
        target = self._target(run, "log a table")
        plain_index = type(table.index).__name__ == "RangeIndex"
        data = table.to_csv(index=not plain_index).encode("utf-8")
        meta = {"rows": int(len(table)), "columns": [str(c) for c in table.columns]}
        return self.store.add_artifact(target.run_id, Artifact(name, "", 0, "table", meta),
                                       data=data)

    def log_confusion_matrix(self, y_true: Any, y_pred: Any, labels: Any = None,
                             name: str = "confusion_matrix",
                             run: ActiveRun | None = None) -> Artifact:
        """Record a confusion matrix (shown by ``compare``) as a small JSON artifact."""
        import json

        target = self._target(run, "log a confusion matrix")
        labels, matrix = confusion_counts(y_true, y_pred, labels)
        data = json.dumps({"labels": labels, "matrix": matrix}).encode()
        return self.store.add_artifact(
            target.run_id, Artifact(name, "", 0, "confusion_matrix", {"labels": labels}),
            data=data)

    # ------------------------------------------------------------- reads
    def get_run(self, run_id: str) -> Run:
        """A run by id or unique prefix (4+ characters)."""
        return self.store.get_run(run_id)

    def runs(self, experiment: str | None = None, filter: str | Node | None = None,
             order_by: str | Iterable[str] | None = None, limit: int | None = None,
             compact: bool = False) -> Any:
        """Runs as a pandas DataFrame (MLflow's column names; ``compact``: see
        :func:`nbtrack.frame.runs_frame`)."""
        from .frame import runs_frame

        where = as_node(filter)
        order = parse_order_by(order_by if isinstance(order_by, (str, type(None)))
                               else list(order_by))
        table = self.store.search(where, order, experiment or self.experiment, limit)
        return runs_frame(table, compact)


_process_tracker: Tracker | None = None
_process_tracker_lock = threading.Lock()


def process_tracker() -> Tracker:
    """The process-wide :class:`Tracker`: the one ``nbtrack.*`` functions and the magics use."""
    global _process_tracker
    if _process_tracker is None:
        with _process_tracker_lock:
            if _process_tracker is None:
                _process_tracker = Tracker()
    return _process_tracker
