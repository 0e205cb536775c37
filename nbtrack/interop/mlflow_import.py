"""Import runs from an MLflow tracking store into nbtrack, through MLflow's own client.

Each finished MLflow run becomes one nbtrack run in the experiment of the same name:
its params (text, as MLflow holds them), every point of every metric history, its tags
(``mlflow.runName`` becomes the run's name), status, start and end times and its
artifact files. The MLflow run id is kept in the tag ``mlflow.run_id``.

A run nbtrack exported (it carries the tag ``nbtrack.run_id``) comes back under its
original id, and the record the export wrote (:data:`~.mlflow_common.RECORD_PATH`)
restores what MLflow could not hold: typed params, exact times, context, environment,
artifact kinds and metadata, the original keys; anything logged to it in MLflow since
is added. Importing again writes nothing for a run that is already there unchanged, and
only what is new for one that changed. Runs still running are left for a later pass.
"""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from ..entities import Artifact, Metric, Run, RunStatus
from ..errors import InvalidValueError
from ..ids import new_run_id
from ..store import Store
from .mlflow_common import (DIGEST_TAG, MAX_TAG_VALUE, MLFLOW_RUN_ID_TAG, RECORD_PATH,
                            RUN_ID_TAG, InteropSummary, fit_value, from_ms,
                            metric_from_mlflow, mlflow_client, quiet_mlflow, run_digest,
                            to_ms, to_mlflow_status)
from .mlflow_view import mlflow_view, own_tags

__all__ = ["import_mlflow"]

_PAGE = 10_000
_NAME_TAG = "mlflow.runName"


def import_mlflow(store: Store, tracking_uri: str, experiment: str | None = None,
                  progress: Callable[[int, int], None] | None = None) -> InteropSummary:
    """Copy the finished runs of the MLflow tracking store at ``tracking_uri`` into ``store``.

    Parameters
    ----------
    store : Store
        The nbtrack store to write.
    tracking_uri : str
        An MLflow tracking URI (``sqlite:///mlflow.db``, ``http://host:5000``); a SQLite
        database must exist.
    experiment : str, optional
        Only the runs of this MLflow experiment (default: every active experiment).
    progress : callable, optional
        Called as ``progress(runs_done, runs_total)`` after each run.

    Returns
    -------
    InteropSummary
        What was written; ``runs_present`` counts runs imported before and unchanged.

    Raises
    ------
    StoreError
        When mlflow is not installed or the tracking URI cannot be opened.
    InvalidValueError
        For an experiment the MLflow store does not have.
    """
    client = mlflow_client(tracking_uri, must_exist=True)
    summary = InteropSummary(tracking_uri, store.uri)
    todo = [(name, r) for exp_id, name in _experiments(client, experiment)
            for r in _runs(client, exp_id)]
    table = store.search(None, (), None, None, 0)
    known = set(table.run_ids)
    by_mlflow = {m: r for m, r in zip(table.tags.get(MLFLOW_RUN_ID_TAG, []), table.run_ids)
                 if m is not None}
    with quiet_mlflow():
        for done, (name, found) in enumerate(todo, 1):
            if found.info.status in ("RUNNING", "SCHEDULED"):
                summary.runs_running += 1
            else:
                _import_run(store, client, summary, name, found, known, by_mlflow)
            if progress is not None:
                progress(done, len(todo))
    return summary


def _experiments(client: Any, name: str | None) -> list[tuple[str, str]]:
    if name is not None:
        found = client.get_experiment_by_name(name)
        if found is None or found.lifecycle_stage != "active":
            names = ", ".join(sorted(n for _, n in _experiments(client, None))) or "none"
            raise InvalidValueError(f"no experiment {name!r} in the MLflow store "
                                    f"(experiments: {names})")
        return [(str(found.experiment_id), found.name)]
    out, token = [], None
    while True:
        page = client.search_experiments(max_results=1000, page_token=token)
        out += [(str(e.experiment_id), e.name) for e in page]
        token = page.token
        if not token:
            return out


def _runs(client: Any, experiment_id: str) -> list[Any]:
    out, token = [], None
    while True:
        page = client.search_runs([experiment_id], max_results=_PAGE, page_token=token,
                                  order_by=["attributes.start_time ASC"])
        out += list(page)
        token = page.token
        if not token:
            return out


@dataclass
class _Wanted:
    """The nbtrack run an MLflow run becomes, and how to read its histories."""

    run: Run
    context: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, Any] | None = None
    #: MLflow metric key -> nbtrack key
    metric_keys: dict[str, str] = field(default_factory=dict)
    #: (nbtrack key, step, MLflow milliseconds) -> the exact timestamp the record keeps
    exact_times: dict[tuple[str, int, int], float] = field(default_factory=dict)
    #: artifact name -> (kind, meta) the record keeps
    artifact_kinds: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)


def _import_run(store: Store, client: Any, summary: InteropSummary, experiment: str,
                found: Any, known: set[str], by_mlflow: dict[str, str]) -> None:
    mlflow_id = found.info.run_id
    origin = found.data.tags.get(RUN_ID_TAG)
    if origin in known and _unchanged_export(store, found, origin):
        summary.runs_present += 1
        return
    record = _read_record(client, mlflow_id) if origin else None
    run_id = origin or by_mlflow.get(mlflow_id) or \
        new_run_id(from_ms(found.info.start_time) or None)
    want = _wanted(found, experiment, run_id, record)
    if run_id not in known:
        _write(store, client, summary, found, want, None)
        known.add(run_id)
        by_mlflow[mlflow_id] = run_id
        summary.runs_copied += 1
        return
    have = store.get_run(run_id)
    if _same(have, want.run) or not _write(store, client, summary, found, want, have):
        summary.runs_present += 1
    else:
        summary.runs_updated += 1


def _unchanged_export(store: Store, found: Any, run_id: str) -> bool:
    """Whether MLflow run ``found`` is still exactly what exporting the stored run
    ``run_id`` made of it (then there is nothing to import, and no record to read)."""
    have, context = store.get_run(run_id), store.get_context(run_id)
    tags = dict(found.data.tags)
    if tags.pop(DIGEST_TAG, None) != run_digest(have, context):
        return False
    tags.pop(_NAME_TAG, None)
    view = mlflow_view(have, own_tags(have, context))
    latest = found.data.metrics
    return (found.data.params == view.params and tags == view.tags
            and set(latest) == set(view.metric_keys.values())
            and all(_same_value(metric_from_mlflow(latest[m]), have.metrics[k])
                    for k, m in view.metric_keys.items())
            and found.info.status == to_mlflow_status(have.status)
            and found.info.end_time == to_ms(have.end_time or have.start_time)
            and (have.name is None or found.info.run_name == have.name))


def _read_record(client: Any, mlflow_id: str) -> dict[str, Any] | None:
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = client.download_artifacts(mlflow_id, RECORD_PATH, tmp)
            record = json.loads(Path(path).read_text())
    except Exception:  # an export that stopped early wrote none: import what MLflow has
        return None
    return record if isinstance(record, dict) and "run" in record else None


def _wanted(found: Any, experiment: str, run_id: str, record: dict[str, Any] | None
            ) -> _Wanted:
    info, data = found.info, found.data
    status = RunStatus(info.status)
    start = from_ms(info.start_time) or 0.0
    end = from_ms(info.end_time)
    end = start if end is None else end
    params: dict[str, Any] = dict(data.params)
    tags = {k: v for k, v in data.tags.items() if k != _NAME_TAG}
    tags[MLFLOW_RUN_ID_TAG] = info.run_id
    metrics = {k: metric_from_mlflow(v) for k, v in data.metrics.items()}
    run = Run(run_id, experiment, info.run_name, status, start, end, params, metrics, tags,
              heartbeat=end)
    if record is None:
        return _Wanted(run, metric_keys={k: k for k in metrics})
    return _from_record(found, run, record)


def _from_record(found: Any, run: Run, record: dict[str, Any]) -> _Wanted:
    """The run as nbtrack exported it, with what was logged to it in MLflow since."""
    original = Run.from_dict(record["run"])
    keys = record.get("keys") or {}
    params_back, metrics_back = keys.get("params") or {}, keys.get("metrics") or {}
    tags_back = keys.get("tags") or {}
    added = set(record.get("added_tags") or ()) | {RUN_ID_TAG, DIGEST_TAG, _NAME_TAG}
    params = dict(original.params)
    for mkey, text in found.data.params.items():
        params.setdefault(params_back.get(mkey, mkey), text)
    tags: dict[str, str] = {}
    for mkey, value in found.data.tags.items():
        key = tags_back.get(mkey, mkey)
        if mkey in added and key not in original.tags:
            continue
        first = original.tags.get(key)
        tags[key] = first if first is not None and fit_value(first, MAX_TAG_VALUE) == value \
            else value
    metric_keys = {m: metrics_back.get(m, m) for m in found.data.metrics}
    metrics = {metric_keys[m]: metric_from_mlflow(v) for m, v in found.data.metrics.items()}
    status = original.status if to_mlflow_status(original.status) == found.info.status \
        else run.status
    end = original.end_time if original.end_time is not None and \
        to_ms(original.end_time) == found.info.end_time else run.end_time
    start = original.start_time if to_ms(original.start_time) == found.info.start_time \
        else run.start_time
    name = original.name if found.info.run_name == record.get("mlflow_run_name") \
        else found.info.run_name
    same_end = status == original.status and end == original.end_time
    run = replace(original, name=name, status=status, start_time=start, end_time=end,
                  params=params, metrics=metrics, tags=tags, artifacts=(),
                  heartbeat=original.heartbeat if same_end else (end or start))
    context = dict(record.get("context") or {})
    environment = context.pop("environment", None)
    exact = {(key, int(step), to_ms(ts)): float(ts)
             for key, points in (record.get("timestamps") or {}).items()
             for step, ts in points}
    kinds = {a.name: (a.kind, dict(a.meta)) for a in original.artifacts}
    return _Wanted(run, context, environment, metric_keys, exact, kinds)


def _same(have: Run, want: Run) -> bool:
    """Whether the stored run already is what the MLflow run would make of it."""
    return (have.params == want.params and have.tags == want.tags
            and have.status == want.status and have.name == want.name
            and to_ms(have.end_time or 0.0) == to_ms(want.end_time or 0.0)
            and set(have.metrics) == set(want.metrics)
            and all(_same_value(have.metrics[k], v) for k, v in want.metrics.items()))


def _same_value(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def _point_key(key: str, step: int, timestamp: float, value: float) -> tuple[Any, ...]:
    return key, step, to_ms(timestamp), "nan" if math.isnan(value) else value


def _write(store: Store, client: Any, summary: InteropSummary, found: Any, want: _Wanted,
           have: Run | None) -> bool:
    """Write what ``have`` (None: a new run) lacks of ``want``; return whether anything was
    written. One transaction: the run is committed whole or not at all."""
    run, mlflow_id, wrote = want.run, found.info.run_id, 0
    if have is None:
        store.create_run(replace(run, status=RunStatus.RUNNING, end_time=None),
                         want.context, want.environment)
        summary.params += len(run.params)
        summary.tags += len(run.tags)
    else:
        params = [(k, v) for k, v in run.params.items() if k not in have.params]
        changed = [k for k, v in run.params.items() if k in have.params and have.params[k] != v]
        summary.notes += [f"{run.run_id}: param {k!r} differs in MLflow; kept the stored "
                          "value" for k in changed]
        tags = [(k, v) for k, v in run.tags.items() if have.tags.get(k) != v]
        store.log_batch(run.run_id, params=params, tags=tags)
        summary.params += len(params)
        summary.tags += len(tags)
        wrote += len(params) + len(tags)
    points = _new_points(store, client, mlflow_id, want, have)
    store.log_batch(run.run_id, metrics=points)
    summary.metric_points += len(points)
    wrote += len(points) + _artifacts(store, client, summary, found, want, have)
    if have is None or (have.status, have.end_time, have.error) != \
            (run.status, run.end_time, run.error):
        store.end_run(run.run_id, run.status, run.end_time or run.start_time, run.error)
        wrote += 1
    else:
        store.flush()
    return bool(wrote) or have is None


def _new_points(store: Store, client: Any, mlflow_id: str, want: _Wanted,
                have: Run | None) -> list[Metric]:
    points = []
    for mkey, key in want.metric_keys.items():
        logged = set()
        if have is not None and key in have.metrics:
            logged = {_point_key(key, p.step, p.timestamp, p.value)
                      for p in store.metric_history(have.run_id, key)}
        for m in client.get_metric_history(mlflow_id, mkey):
            value = metric_from_mlflow(m.value)
            ts = want.exact_times.get((key, int(m.step), int(m.timestamp)), m.timestamp / 1000)
            if _point_key(key, m.step, ts, value) not in logged:
                points.append(Metric(key, value, int(m.step), ts))
    points.sort(key=lambda p: (p.key, p.step, p.timestamp))
    return points


def _artifacts(store: Store, client: Any, summary: InteropSummary, found: Any,
               want: _Wanted, have: Run | None) -> int:
    """Add the artifact files of the MLflow run the stored run lacks; return how many."""
    mlflow_id = found.info.run_id
    if not client.list_artifacts(mlflow_id):
        return 0
    stored = {a.name: a.sha256 for a in (have.artifacts if have is not None else ())}
    added = 0
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(client.download_artifacts(mlflow_id, "", tmp))
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            name = path.relative_to(root).as_posix()
            if name == RECORD_PATH and RUN_ID_TAG in found.data.tags:
                continue  # the export's record, read already
            data = path.read_bytes()
            if stored.get(name) == hashlib.sha256(data).hexdigest():
                continue
            kind, meta = want.artifact_kinds.get(name, ("file", {}))
            store.add_artifact(want.run.run_id, Artifact(name, "", 0, kind, meta), data=data)
            added += 1
            summary.artifacts += 1
            summary.artifact_bytes += len(data)
    return added
