"""One execution of a ``%%track`` cell: start a run, run the cell, record what it made.

Failures of nbtrack itself become warnings in the cell output; the user's
cell always runs, its variables stay intact, and its own exception is
re-raised unchanged after the run is recorded as FAILED (or INTERRUPTED).
"""

from __future__ import annotations

import contextlib
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from ..entities import RunStatus
from ..filters import Comparison
from .analysis import analyze
from .classify import Captured, classify
from .context import (ResourceMeter, cell_identity, execution_history, notebook_path,
                      papermill_parameters)
from .estimators import estimator_params, is_fitted_estimator, signature_for
from .inputs import fingerprint, is_data
from .live import LiveChart
from .runner import run_body, show_from_cell, user_traceback
from .summary import Summary
from ..repro.slicing import dependency_slice

__all__ = ["CellOptions", "NbtrackWarning", "track_cell"]


class NbtrackWarning(UserWarning):
    """Something nbtrack could not record; the cell itself was not affected."""


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


def _tell(message: str) -> None:
    """Show an nbtrack warning in the cell output."""
    # no file and line: they would point into nbtrack, not at anything the user can change
    warnings.warn_explicit(message, NbtrackWarning, filename="nbtrack", lineno=0,
                           module=__name__)


def _warn(what: str, exc: BaseException) -> None:
    _tell(f"nbtrack could not {what}: {type(exc).__name__}: {exc}")


def _guard(what: str, fn: Callable[[], Any], default: Any = None) -> Any:
    try:
        return fn()
    except Exception as exc:  # nbtrack's own failure must never break the cell
        _warn(what, exc)
        return default


def _previous_run(store: Any, cell_id: str) -> tuple[str | None, dict[str, float]]:
    table = store.search(Comparison("attributes", "cell_id", "=", cell_id), limit=1)
    if not len(table):
        return None, {}
    return table.base["run_id"][0], {k: v[0] for k, v in table.metrics.items()
                                     if v[0] is not None}


def track_cell(shell: Any, tracker: Any, options: CellOptions, body: str,
               frontend_cell_id: str | None = None,
               display: Callable[[Any], None] | None = None,
               executed: list[str] | None = None) -> Summary | None:
    """Run ``body`` as one run and return its summary (also displayed unless quiet).

    Parameters
    ----------
    shell : InteractiveShell
    tracker : Tracker
    options : CellOptions
    body : str
        The cell without the magic line.
    frontend_cell_id : str, optional
        The Jupyter cell id, when the frontend sent one.
    display : callable, optional
        How to show the summary (default: IPython's ``display``).
    executed : list of str, optional
        Every cell run since the extension loaded (the current one last), used as the
        history when the kernel did not store it in ``In``.
    """
    __tracebackhide__ = True  # noqa: F841
    meter = ResourceMeter().start()
    namespace = shell.user_ns
    count = shell.execution_count
    inputs_hist, history_count = list(namespace.get("In", [])), count
    if executed is not None and len(executed) > count:
        # cells ran without store_history (nbval does that): ``In`` misses them
        inputs_hist = [""] + list(executed[:-1]) + [body]
        history_count = len(inputs_hist) - 1
    code = _guard("read the cell's code", lambda: shell.transform_cell(body), body)
    analysis = analyze(code)
    cell_id = cell_identity(frontend_cell_id, options.name, code)
    injected = _guard("read papermill parameters",
                      lambda: papermill_parameters(inputs_hist[:history_count], namespace), {})
    before = {k: id(v) for k, v in namespace.items()}
    previous_id, previous_metrics = _guard(
        "find the cell's previous run", lambda: _previous_run(tracker.store, cell_id),
        (None, {}))
    context = {"source": body, "cell_id": cell_id, "frontend_cell_id": frontend_cell_id,
               "execution_count": count, "previous_run_id": previous_id,
               "history": execution_history(inputs_hist, history_count),
               "notebook": notebook_path(namespace)}
    hidden = _guard("trace the cell's dependencies", lambda: dependency_slice(
        context["history"], body, frozenset(injected)).hidden, {})
    context["hidden_state"] = sorted(hidden.values())
    run = _guard("start a run", lambda: tracker.start_run(
        name=options.name, experiment=options.experiment, tags=options.tags or None,
        cell_id=cell_id, context=context, parent_run_id=options.parent))
    if run is None:
        run_body(shell, body, count)
        return None

    ran_as: list[str] = []
    status, error, error_type = RunStatus.FINISHED, None, None
    live = LiveChart(run.run_id) if options.live else None
    if live is not None:
        tracker.metric_listeners.append(live)
    try:
        run_body(shell, body, count, ran_as)
    except BaseException as exc:
        status = RunStatus.INTERRUPTED if isinstance(exc, KeyboardInterrupt) else RunStatus.FAILED
        error_type = type(exc).__name__
        tb = user_traceback(exc.__traceback__, ran_as[0] if ran_as else None)
        error = "".join(traceback.format_exception(type(exc), exc, tb))
        with _closed_on_escape(tracker, run, status, error):
            _stop_live(tracker, live)
            _finish(shell, tracker, run, options, analysis, before, injected, meter, status,
                    error, error_type, previous_id, previous_metrics, display, sorted(hidden),
                    frontend_cell_id)
        _guard("shorten the traceback", lambda: show_from_cell(exc, tb))
        raise
    with _closed_on_escape(tracker, run, status, error):
        _stop_live(tracker, live)
        return _finish(shell, tracker, run, options, analysis, before, injected, meter, status,
                       error, error_type, previous_id, previous_metrics, display,
                       sorted(hidden), frontend_cell_id)


@contextlib.contextmanager
def _closed_on_escape(tracker: Any, run: Any, status: RunStatus,
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


def _stop_live(tracker: Any, live: LiveChart | None) -> None:
    if live is None:
        return
    if live in tracker.metric_listeners:
        tracker.metric_listeners.remove(live)
    _guard("draw the live chart", live.close)


def _finish(shell: Any, tracker: Any, run: Any, options: CellOptions, analysis: Any,
            before: dict[str, int], injected: dict[str, Any], meter: ResourceMeter,
            status: RunStatus, error: str | None, error_type: str | None,
            previous_id: str | None, previous_metrics: dict[str, float],
            display: Callable[[Any], None] | None, hidden: list[str],
            frontend_cell_id: str | None = None) -> Summary | None:
    namespace = shell.user_ns
    rebound = {k for k, v in namespace.items() if before.get(k) != id(v)}
    captured: Captured = _guard("classify the cell's variables", lambda: classify(
        analysis, namespace, rebound, params=options.params, metrics=options.metrics,
        injected=injected, completed=status is RunStatus.FINISHED), Captured())
    for name, why in captured.skipped.items():
        _tell(f"nbtrack did not record {name!r}: {why}")
    _record_values(tracker, run, captured)
    models = _record_models(tracker, run, namespace, rebound | analysis.fitted) \
        if options.models and status is RunStatus.FINISHED else []
    if options.inputs:
        _guard("fingerprint the cell's inputs", lambda: _record_inputs(
            tracker, run, analysis, namespace, rebound))
    _guard("record resource use", lambda: tracker.set_context({"system": meter.stop()}, run=run))
    _guard("save the run", lambda: tracker.end_run(run, status, error))
    final = _guard("read the run back", lambda: tracker.store.get_run(run.run_id))
    metrics = dict(final.metrics) if final is not None else dict(captured.metrics)
    summary = Summary(run_id=run.run_id, status=status.value,
                      duration=(run.end_time or 0) - run.start_time,
                      params={k: v for k, v in (final.params if final else captured.params).items()
                              if "." not in k},
                      metrics=metrics, previous_id=previous_id, previous_metrics=previous_metrics,
                      models=models, error_type=error_type,
                      notes=[f"⚠ hidden state: {', '.join(hidden)}"] if hidden else [])
    if not options.quiet:
        if display is None:
            from IPython.display import display as ipy_display

            display = ipy_display
        _guard("show the summary", lambda: display(summary))
        # only a live frontend sends a cell id; batch runs (nbclient, papermill) get no
        # button they could never click
        if previous_id is not None and frontend_cell_id and \
                getattr(shell, "kernel", None) is not None:
            _guard("offer a comparison", lambda: _offer_compare(tracker, run, display))
    return summary


def _offer_compare(tracker: Any, run: Any, display: Callable[[Any], None]) -> None:
    from ..filters import Comparison
    from ..views.cell_compare import cell_compare_box

    count = tracker.store.count(Comparison("attributes", "cell_id", "=", run.cell_id))
    display(cell_compare_box(tracker.store, run.cell_id, count))


def _record_values(tracker: Any, run: Any, captured: Captured) -> None:
    for key, value in captured.params.items():
        _guard(f"record param {key!r}", lambda k=key, v=value: tracker.log_params({k: v}, run=run))
    for key, value in captured.metrics.items():
        _guard(f"record metric {key!r}", lambda k=key, v=value: tracker.log_metric(k, v, run=run))
    for key, values in captured.histories.items():
        def log_history(k: str = key, vs: list[float] = values) -> None:
            for step, v in enumerate(vs):
                tracker.log_metric(k, v, step=step, run=run)
        _guard(f"record the history of {key!r}", log_history)


def _record_models(tracker: Any, run: Any, namespace: dict[str, Any],
                   rebound: set[str]) -> list[str]:
    saved = []
    for name in sorted(rebound):
        value = namespace.get(name)
        if name.startswith("_") or not _guard("inspect " + name,
                                              lambda v=value: is_fitted_estimator(v), False):
            continue
        signature = _guard(f"work out the signature of {name!r}",
                           lambda v=value: signature_for(v, namespace), {})
        artifact = _guard(f"save model {name!r}",
                          lambda n=name, v=value, s=signature: tracker.log_model(
                              v, name=n, run=run, signature=s))
        if artifact is not None:
            saved.append(type(value).__name__)
            _guard(f"record the params of {name!r}", lambda n=name, v=value: tracker.log_params(
                estimator_params(n, v), run=run))
    return saved


def _record_inputs(tracker: Any, run: Any, analysis: Any, namespace: dict[str, Any],
                   rebound: set[str]) -> None:
    prints = {}
    for name in sorted(analysis.reads - rebound):
        value = namespace.get(name)
        if not name.startswith("_") and is_data(value):
            prints[name] = fingerprint(value)
    if prints:
        tracker.set_context({"inputs": prints}, run=run)
