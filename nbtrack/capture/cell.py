"""One execution of a ``%%track`` cell: start a run, run the cell, record what it made.

Failures of nbtrack itself become warnings in the cell output; the user's
cell always runs, its variables stay intact, and its own exception is
re-raised unchanged after the run is recorded as FAILED (or INTERRUPTED).
"""

from __future__ import annotations

import contextlib
import copy
from functools import partial
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Protocol

from ..analysis.cells import analyze
from ..analysis.magic_cells import cell_magic
from ..analysis.slicing import dependency_slice, needed_names
from ..cell_record import CellRecord
from ..entities import Artifact, RunStatus
from ..filters import by_cell
from ..guard import guarded, tell
from ..monitoring.reference import KIND as REFERENCE_KIND
from ..monitoring.reference import artifact_name, encode_sample, sample_inputs, sample_meta
from ..store import Store
from ..tracking import ActiveRun, Tracker
from .classify import Captured, classify
from .context import (ResourceMeter, cell_identity, execution_history, notebook_path,
                      papermill_parameters)
from .estimators import LearnedState, estimator_params, fitted_models, signature_for
from .inputs import fingerprint, is_data
from .notes import NOTE_FUNCTION, ResultNotes
from .output import OutputTee
from .runner import run_body, show_from_cell, user_traceback

__all__ = ["CellOptions", "track_cell"]


@dataclass
class CellOptions:
    """The options of ``%%track``."""

    name: str | None = None
    experiment: str | None = None
    params: list[str] | None = None
    metrics: list[str] | None = None
    models: bool = True
    inputs: bool = True
    tags: dict[str, str] = field(default_factory=dict)
    quiet: bool = False
    parent: str | None = None
    live: bool = True


@dataclass
class TrackedCell:
    """What one execution of a tracked cell recorded, for the magic to show."""

    run_id: str
    status: RunStatus
    duration: float
    cell_id: str
    frontend_cell_id: str | None
    params: dict[str, Any]
    #: results first, timing figures last
    metrics: dict[str, float]
    models: list[str]
    previous_id: str | None
    previous_metrics: dict[str, float]
    hidden: list[str]
    error_type: str | None = None


class MetricWatcher(Protocol):
    """Follows the metrics a running cell logs (a live chart, for one)."""

    def __call__(self, run_id: str, key: str, value: float, step: int) -> None: ...

    def close(self) -> None:
        """The cell has ended."""


def _previous_run(store: Store, cell_id: str) -> tuple[str | None, dict[str, float]]:
    table = store.search(by_cell(cell_id), limit=1)
    if not len(table):
        return None, {}
    return table.base["run_id"][0], {k: v[0] for k, v in table.metrics.items()
                                     if v[0] is not None}


@dataclass
class CellExecution:
    """One execution of a tracked cell: what was known before it ran and what it did."""

    shell: Any
    tracker: Tracker
    options: CellOptions
    body: str
    frontend_cell_id: str | None
    analysis: Any
    injected: dict[str, Any]
    before: dict[str, int]
    learned: LearnedState
    inputs: dict[str, Any]
    meter: ResourceMeter
    previous_id: str | None
    previous_metrics: dict[str, float]
    hidden: list[str]
    output: OutputTee
    notes: ResultNotes = field(default_factory=ResultNotes)
    #: samples of the tables the cell read, kept as the run's reference if it saves a model
    references: list[Any] = field(default_factory=list)
    shown: list[tuple[Any, Any]] = field(default_factory=list)
    run: Any = None
    status: RunStatus = RunStatus.FINISHED
    error: str | None = None
    error_type: str | None = None

    def instrument(self, tree: Any) -> Any:
        """The cell with its printed results noted; the cell as it is if that fails."""
        try:
            return self.notes.instrument(copy.deepcopy(tree), self.analysis)
        except Exception as exc:  # nbtrack's own failure must never change the cell
            tell(f"nbtrack could not look for printed results: {type(exc).__name__}: {exc}")
            return tree


def track_cell(shell: Any, tracker: Tracker, options: CellOptions, body: str,
               frontend_cell_id: str | None = None,
               executed: list[str] | None = None,
               watch: Callable[[str], MetricWatcher] | None = None,
               show: Callable[[TrackedCell], None] | None = None) -> TrackedCell | None:
    """Run ``body`` as one run and return what it recorded.

    Parameters
    ----------
    shell : InteractiveShell
    tracker : Tracker
    options : CellOptions
    body : str
        The cell without the magic line.
    frontend_cell_id : str, optional
        The Jupyter cell id, when the frontend sent one.
    executed : list of str, optional
        Every cell run since the extension loaded (the current one last), used as the
        history when the kernel did not store it in ``In``.
    watch : callable, optional
        ``watch(run_id)`` makes a watcher that sees every metric the cell logs while it
        runs (the magic's live chart).
    show : callable, optional
        ``show(tracked)`` presents what the cell recorded, before the user's exception
        (if any) propagates.
    """
    __tracebackhide__ = True  # noqa: F841
    meter = ResourceMeter().start()
    namespace = shell.user_ns
    count = shell.execution_count
    inputs_hist = list(namespace.get("In", []))
    # the cell being run is stored before it runs; where the count already points past it
    # (recent IPython) the count alone would take it into its own history
    history_count = min(count, len(inputs_hist) - 1) if _is_this_cell(
        inputs_hist[-1:], body) else min(count, len(inputs_hist))
    if executed is not None and len(executed) > count:
        # cells ran without store_history (nbval does that): ``In`` misses them
        inputs_hist = [""] + list(executed[:-1]) + [body]
        history_count = len(inputs_hist) - 1
    code = guarded("read the cell's code", lambda: shell.transform_cell(body), body)
    analysis = analyze(code)
    cell_id = cell_identity(frontend_cell_id, options.name, code)
    injected = guarded("read papermill parameters",
                      lambda: papermill_parameters(inputs_hist[:history_count], namespace), {})
    previous_id, previous_metrics = guarded(
        "find the cell's previous run", lambda: _previous_run(tracker.store, cell_id),
        (None, {}))
    history = execution_history(inputs_hist, history_count)
    hidden = guarded("trace the cell's dependencies", lambda: dependency_slice(
        history, body, frozenset(injected)).hidden, {})
    record = CellRecord(source=body, cell_id=cell_id, frontend_cell_id=frontend_cell_id,
                        execution_count=count, notebook=notebook_path(namespace),
                        history=tuple(history), hidden_state=tuple(sorted(hidden.values())),
                        previous_run_id=previous_id)
    # the data as the cell found it, before the cell can change it
    inputs = guarded("fingerprint the cell's inputs", lambda: _fingerprint_inputs(
        namespace, needed_names(body)), {}) if options.inputs else {}
    execution = CellExecution(
        shell=shell, tracker=tracker, options=options, body=body,
        frontend_cell_id=frontend_cell_id, analysis=analysis,
        injected=injected, before={k: id(v) for k, v in namespace.items()},
        learned=guarded("note the models the cell can reach", lambda: LearnedState(
            namespace, analysis.reads | analysis.fitted | analysis.bound),
            LearnedState({}, ())),
        inputs=inputs, meter=meter, previous_id=previous_id,
        previous_metrics=previous_metrics, hidden=sorted(hidden), output=OutputTee(),
        references=guarded("sample the cell's inputs", lambda: sample_inputs(
            namespace, needed_names(body)), []) if options.inputs and options.models else [])
    execution.run = guarded("start a run", lambda: tracker.start_run(
        name=options.name, experiment=options.experiment, tags=options.tags or None,
        cell_id=cell_id, context=record.to_dict(), parent_run_id=options.parent))
    if execution.run is None:
        run_body(shell, body, count)
        return None

    ran_as: list[str] = []
    live = guarded("follow the cell's metrics", lambda: watch(execution.run.run_id)) \
        if watch is not None else None
    if live is not None:
        tracker.metric_listeners.append(live)
    try:
        with execution.output, _noting(execution):
            run_body(shell, body, count, ran_as, instrument=execution.instrument,
                     shown=execution.shown)
    except BaseException as exc:
        execution.status = RunStatus.INTERRUPTED if isinstance(exc, KeyboardInterrupt) \
            else RunStatus.FAILED
        execution.error_type = type(exc).__name__
        tb = user_traceback(exc.__traceback__, ran_as[0] if ran_as else None)
        execution.error = "".join(traceback.format_exception(type(exc), exc, tb))
        with _closed_on_escape(tracker, execution.run, execution.status, execution.error):
            _stop_live(tracker, live)
            tracked = _finish(execution)
        if show is not None:
            guarded("show what the cell recorded", partial(show, tracked))
        guarded("shorten the traceback", partial(show_from_cell, exc, tb))
        raise
    with _closed_on_escape(tracker, execution.run, execution.status, execution.error):
        _stop_live(tracker, live)
        tracked = _finish(execution)
    if show is not None:
        guarded("show what the cell recorded", partial(show, tracked))
    return tracked


@contextlib.contextmanager
def _noting(execution: CellExecution) -> Iterator[None]:
    namespace = execution.shell.user_ns
    namespace[NOTE_FUNCTION] = execution.notes
    try:
        yield
    finally:
        if namespace.get(NOTE_FUNCTION) is execution.notes:
            del namespace[NOTE_FUNCTION]


def _is_this_cell(last: list[str], body: str) -> bool:
    magic = cell_magic(last[0]) if last else None
    return magic is not None and magic.name == "track" and magic.body.strip() == body.strip()


def _fingerprint_inputs(namespace: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    return {name: fingerprint(namespace[name]) for name in sorted(names)
            if not name.startswith("_") and is_data(namespace.get(name))}


@contextlib.contextmanager
def _closed_on_escape(tracker: Tracker, run: ActiveRun, status: RunStatus,
                      error: str | None) -> Iterator[None]:
    """End the run if anything escapes nbtrack's own recording of it.

    Only an interrupt (or another BaseException) can: a kernel interrupt while a
    large model is being saved must not leave the run open into the next cell.
    """
    try:
        yield
    except BaseException as exc:
        if status is RunStatus.FINISHED:
            status = RunStatus.INTERRUPTED if isinstance(exc, KeyboardInterrupt) \
                else RunStatus.FAILED
            error = f"{type(exc).__name__} while nbtrack was recording the run"
        try:
            tracker.end_run(run, status, error)
        except Exception:
            pass  # the store's own problem; the escaping exception says more
        raise


def _stop_live(tracker: Tracker, live: MetricWatcher | None) -> None:
    if live is None:
        return
    if live in tracker.metric_listeners:
        tracker.metric_listeners.remove(live)
    guarded("finish following the cell's metrics", live.close)


def _finish(execution: CellExecution) -> TrackedCell:
    shell, tracker, run, options = (execution.shell, execution.tracker, execution.run,
                                    execution.options)
    analysis, status = execution.analysis, execution.status
    namespace = shell.user_ns
    rebound = {k for k, v in namespace.items() if execution.before.get(k) != id(v)}
    captured: Captured = guarded("classify the cell's variables", lambda: classify(
        analysis, namespace, rebound, params=options.params, metrics=options.metrics,
        injected=execution.injected, completed=status is RunStatus.FINISHED,
        noted=execution.notes.values, shown=execution.shown), Captured())
    for name, why in captured.skipped.items():
        tell(f"nbtrack did not record {name!r}: {why}")
    _record_values(tracker, run, captured)
    models = _record_models(tracker, run, namespace, execution) \
        if options.models and status is RunStatus.FINISHED else []
    if models:
        # the tables it read, as it found them, and those it made (data it loaded itself)
        read = {sample.name for sample in execution.references}
        made = guarded("sample the cell's tables", lambda: sample_inputs(
            namespace, analysis.bound - read), []) if options.inputs else []
        _record_references(tracker, run, execution.references + made)
    _record_tables(tracker, run, captured)
    ending = CellRecord(system=execution.meter.stop(), inputs=execution.inputs or None,
                        timing=tuple(sorted(captured.timing)) or None,
                        output=execution.output.text or None)
    guarded("record the run's context", lambda: tracker.set_context(ending.to_dict(), run=run))
    guarded("save the run", lambda: tracker.end_run(run, status, execution.error))
    final = guarded("read the run back",
                    lambda: tracker.store.get_run(run.run_id, wait=False))
    recorded = dict(final.metrics) if final is not None else dict(captured.metrics)
    # results first, timing figures last: the summary line shows the first few
    metrics = dict(sorted(recorded.items(), key=lambda item: item[0] in captured.timing))
    return TrackedCell(
        run_id=run.run_id, status=status, duration=(run.end_time or 0) - run.start_time,
        cell_id=run.cell_id, frontend_cell_id=execution.frontend_cell_id,
        params={k: v for k, v in (final.params if final else captured.params).items()
                if "." not in k},
        metrics=metrics, models=models, previous_id=execution.previous_id,
        previous_metrics=execution.previous_metrics, hidden=execution.hidden,
        error_type=execution.error_type)


def _record_values(tracker: Tracker, run: ActiveRun, captured: Captured) -> None:
    for key, value in captured.params.items():
        guarded(f"record param {key!r}", partial(tracker.log_params, {key: value}, run=run))
    for key, value in captured.metrics.items():
        guarded(f"record metric {key!r}", partial(tracker.log_metric, key, value, run=run))
    for key, values in captured.histories.items():
        def log_history(k: str = key, vs: list[float] = values) -> None:
            for step, v in enumerate(vs):
                tracker.log_metric(k, v, step=step, run=run)
        guarded(f"record the history of {key!r}", log_history)


def _record_models(tracker: Tracker, run: ActiveRun, namespace: dict[str, Any],
                   execution: CellExecution) -> list[str]:
    analysis = execution.analysis
    names = analysis.bound | analysis.reads | analysis.fitted | analysis.filled | \
        analysis.appended
    found = guarded("find the models the cell fitted", lambda: fitted_models(
        namespace, names, execution.learned, analysis.loop_bound, analysis.fitted,
        analysis.fit_results), [])
    saved = []
    for name, value in found:
        signature = guarded(f"work out the signature of {name!r}",
                            partial(signature_for, value, namespace), {})
        # the file is written after the cell when the kernel's model writer takes it
        later = guarded(f"save model {name!r}", partial(
            tracker.log_model_later, value, name=name, run=run, signature=signature), None)
        artifact = None if later is not None else guarded(f"save model {name!r}", partial(
            tracker.log_model, value, name=name, run=run, signature=signature))
        if later is None and artifact is None:
            continue
        saved.append(type(value).__name__)
        guarded(f"record the params of {name!r}",
                partial(_log_estimator_params, tracker, run, name, value))
        defined_here = list(later) if later is not None else [
            t.rpartition(".")[2] for t in artifact.meta.get("notebook_types", ())
        ] if artifact is not None else []
        if defined_here:
            shown = ", ".join(defined_here)
            tell(f"model {name!r} uses {shown}, defined in this notebook: it loads only where "
                  f"{shown} is defined (run that cell first, or move it into a module and "
                  "import it)")
    return saved


def _record_references(tracker: Tracker, run: ActiveRun, samples: list[Any]) -> None:
    for sample in samples:
        def save(one: Any = sample) -> None:
            data, meta = encode_sample(one.frame)
            tracker.store.add_artifact(run.run_id, Artifact(
                artifact_name(one.name), "", 0, REFERENCE_KIND, sample_meta(one, meta)),
                data=data)
        guarded(f"keep a reference sample of {sample.name!r}", save)


def _log_estimator_params(tracker: Tracker, run: ActiveRun, name: str, model: Any) -> None:
    tracker.log_params(estimator_params(name, model), run=run)


def _record_tables(tracker: Tracker, run: ActiveRun, captured: Captured) -> None:
    for name, table in captured.tables.items():
        guarded(f"save the table {name!r}", partial(tracker.log_table, table, name=name, run=run))
