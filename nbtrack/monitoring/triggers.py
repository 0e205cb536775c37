"""A model's retrain rule, kept in the store, and the retrain it triggers.

The rule is stored as a small finished run tagged ``nbtrack.kind=monitor_rule`` and
``nbtrack.model=<name>`` (the rule in ``nbtrack.rule``); the newest such run is the
model's rule, so the store's own tables, backups, ``migrate`` and ``verify`` carry it.
A retrain is a run tagged ``nbtrack.kind=retrain`` that is RUNNING while the
registered version's exported notebook re-executes (one sweep point, so the child run
is made by the same machinery as ``sweep``); it then registers the child's model as a
new version with no alias. A retrain does not start while another of the same model
is RUNNING, nor within the cooldown after the last one started: each start is a
``retrain`` event in the registry's history, claimed in the registry's transaction.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

from ..entities import RunStatus
from ..errors import ExportError, InvalidValueError, ModelNotFoundError, RunNotFoundError
from ..filters import Comparison, all_of, parse_order_by
from ..tracking import Tracker
from .rule import evaluate, explain, parse_rule

__all__ = ["RULE_KIND", "RETRAIN_KIND", "COOLDOWN", "RuleOutcome", "Retrain",
           "set_monitor_rule", "monitor_rule", "check_rule", "retrain", "parse_params"]

RULE_KIND = "monitor_rule"
RETRAIN_KIND = "retrain"
#: Seconds after a retrain started during which the rule does not trigger another.
COOLDOWN = 24 * 3600.0


def _of_model(kind: str, name: str) -> Any:
    return all_of(Comparison("tags", "nbtrack.kind", "=", kind),
                  Comparison("tags", "nbtrack.model", "=", name))


def set_monitor_rule(tracker: Tracker, name: str, rule: str | None) -> str | None:
    """Store ``rule`` as the retrain rule of the registered model ``name`` (None or an
    empty text removes it); return the rule as stored.

    Raises
    ------
    FilterSyntaxError
        For a rule that does not parse (with the position).
    ModelNotFoundError
        When no model of that name is registered.
    """
    from ..versions import check_model_name

    check_model_name(name)
    text = (rule or "").strip()
    if text:
        parse_rule(text)
    versions = tracker.store.backend.registry.versions(name)
    if not versions:
        raise ModelNotFoundError(f"no registered model {name!r}; register one with "
                                 "nbtrack.register_model(run, name)")
    tags = {"nbtrack.kind": RULE_KIND, "nbtrack.model": name, "nbtrack.rule": text}
    with tracker.start_run(name=f"monitor rule {name}", tags=tags, capture_environment=False,
                           experiment=model_experiment(tracker.store, versions[-1].run_id)):
        pass
    tracker.store.flush()
    return text or None


def model_experiment(store: Any, run_id: str | None) -> str | None:
    """The experiment of a version's training run, where its checks, rule and retrains
    are recorded too (wherever they are started from: a notebook or cron); None when
    that run is gone."""
    if not run_id:
        return None
    try:
        return str(store.get_run(run_id, wait=False).experiment)
    except RunNotFoundError:
        return None


def monitor_rule(store: Any, name: str) -> str | None:
    """The retrain rule of model ``name`` (the newest one stored), or None."""
    table = store.search(_of_model(RULE_KIND, name), parse_order_by("start_time DESC"),
                         limit=1)
    if not len(table):
        return None
    return store.get_run(table.run_ids[0]).tags.get("nbtrack.rule") or None


@dataclass(frozen=True)
class RuleOutcome:
    """A rule checked against a window: whether it ``fired`` and why (one line per
    comparison)."""

    rule: str
    fired: bool
    lines: tuple[str, ...]

    def __str__(self) -> str:
        head = f"rule {'FIRED' if self.fired else 'holds back'}: {self.rule}"
        return "\n".join([head] + [f"  {line}" for line in self.lines])


def check_rule(rule: str, values: Mapping[str, float],
               baseline: Mapping[str, float]) -> RuleOutcome:
    """Evaluate ``rule`` on a window's figures and the version's recorded metrics
    (``baseline.<metric>``)."""
    tree = parse_rule(rule)
    known = dict(values)
    known.update({f"baseline.{k}": float(v) for k, v in baseline.items()
                  if isinstance(v, (int, float))})
    return RuleOutcome(rule, evaluate(tree, known), tuple(explain(tree, known)))


def parse_params(pairs: list[str] | None) -> dict[str, Any]:
    """``key=value`` pairs as params: a Python literal where the value is one
    (``0.5``, ``[1, 2]``, ``'x'``), else the text itself (``data/new.csv``)."""
    out: dict[str, Any] = {}
    for pair in pairs or ():
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidValueError(f"--param {pair!r}: write key=value, e.g. "
                                    "--param data_path=data/new.csv")
        try:
            value: Any = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            value = text
        out[key.strip()] = value
    return out


@dataclass(frozen=True)
class Retrain:
    """What a retrain trigger did: ``started`` False with the reason it did nothing, or
    the retrain run, the child run that re-executed the notebook and the new version."""

    started: bool
    message: str
    run_id: str | None = None
    child_run_id: str | None = None
    version: str | None = None

    def __str__(self) -> str:
        return self.message


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _running(store: Any, name: str) -> str | None:
    """Why a retrain of ``name`` may not start now because another is RUNNING, or None."""
    store.reap_dead_runs()  # a retrain whose process died no longer holds the model
    table = store.search(all_of(_of_model(RETRAIN_KIND, name),
                                Comparison("attributes", "status", "=", "RUNNING")))
    if len(table):
        return (f"a retrain of {name} is running (run {table.run_ids[0]}); not starting "
                "another")
    return None


def _cooling(name: str, last: float, cooldown: float) -> str:
    return (f"{name} was retrained at {_stamp(last)}; the cooldown of {cooldown / 3600:g} h "
            f"lasts until {_stamp(last + cooldown)}: nothing done")


def retrain(tracker: Tracker, version: Any, params: Mapping[str, Any], rule: str | None,
            cooldown: float = COOLDOWN, progress: bool = True) -> Retrain:
    """Re-execute the notebook of ``version``'s run with ``params`` in a fresh kernel and
    register the model it saves as a new version of the same model, with no alias.

    Nothing happens (``started`` is False, and the message says why) while another
    retrain of the model is RUNNING or within ``cooldown`` seconds of the last one.
    """
    from ..registry import claim_retrain, register_model
    from ..sweeps.driver import run_sweep, sweepable_params
    from ..sweeps.grid import check_names

    store = tracker.store
    if cooldown < 0:
        raise InvalidValueError(f"the cooldown must be 0 or more hours, got {cooldown / 3600:g}")
    why = _running(store, version.name)
    if why is not None:
        return Retrain(False, why)
    # refuse what the notebook cannot be re-run with before the cooldown is taken
    source = store.get_run(version.run_id)
    if source.record.source is None:
        raise ExportError(f"run {source.run_id} of {version.address} was not recorded from a "
                          "%%track cell, so there is no notebook to retrain with")
    own = sweepable_params(source)
    check_names(params, own, source.run_id)
    grid = {k: [v] for k, v in params.items()}
    if not grid:
        # nothing to change (the data was refreshed in place): the run's own values
        if not own:
            raise InvalidValueError(f"the training cell of {version.address} sets no literal "
                                    "params to re-run it with; give --param key=value")
        key = sorted(own)[0]
        grid = {key: [own[key]]}
    # the cooldown is decided in one registry transaction: two triggers at once start one
    last = claim_retrain(store, version.name, version.version, cooldown)
    if last is not None:
        return Retrain(False, _cooling(version.name, last, cooldown))
    tags = {"nbtrack.kind": RETRAIN_KIND, "nbtrack.model": version.name,
            "nbtrack.model_version": str(version.version), "nbtrack.rule": rule or ""}
    run = tracker.start_run(name=f"retrain {version.name}", params=dict(params), tags=tags,
                            capture_environment=False,
                            experiment=model_experiment(store, version.run_id))
    store.flush()  # other processes must see it RUNNING from now on
    try:
        result = run_sweep(tracker, version.run_id, grid, store=store, progress=progress)
        point = result.points[0]
        if point.status != RunStatus.FINISHED.value or point.run_id is None:
            message = (f"the retrain of {version.address} ended {point.status}: "
                       f"{point.error or 'no run was recorded'}")
            tracker.set_tag("nbtrack.retrain.child", point.run_id or "", run=run)
            tracker.end_run(run, RunStatus.FAILED, message)
            return Retrain(True, message, run.run_id, point.run_id)
        new = register_model(store, point.run_id, version.name,
                             description=f"retrained from {version.address}")
        tracker.set_tag("nbtrack.retrain.child", point.run_id, run=run)
        tracker.set_tag("nbtrack.retrain.version", new.address, run=run)
    except BaseException as exc:
        tracker.end_run(run, RunStatus.FAILED, f"{type(exc).__name__}: {exc}")
        raise
    tracker.end_run(run)
    return Retrain(True, f"retrained {version.address} as {new.address} (run {point.run_id}); "
                   f"no alias moved: promote it with nbtrack promote {version.name} "
                   f"{new.version} production", run.run_id, point.run_id, new.address)
