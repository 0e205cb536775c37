"""Export nbtrack runs into an MLflow tracking store, through MLflow's own client.

Each finished run becomes one MLflow run in the experiment of the same name: its
params (as text), every point of every metric history (step and timestamp), its tags,
status, start and end times and name, and its artifacts as files in the run's
artifact store (models too; their format and class are noted in tags). The nbtrack
run id is kept in the tag :data:`~.mlflow_common.RUN_ID_TAG`; what MLflow has no place
for (typed params, exact times, the cell's code and context, input fingerprints, the
environment, artifact kinds and metadata, keys MLflow would refuse) goes into the
artifact :data:`~.mlflow_common.RECORD_PATH`, which :func:`~.mlflow_import.import_mlflow`
reads to bring the run back as it was.

Exporting again writes nothing for a run that has not changed (the digest tag of the
earlier export matches) and, for one that has, only what is new. A run imported from
the same MLflow store (tag ``mlflow.run_id``) is not exported back into it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from ..entities import Metric, Run, RunStatus
from ..errors import InvalidValueError, StoreError
from ..filters import parse_filter
from ..store import Store
from .mlflow_common import (DIGEST_TAG, MAX_ENTITIES_PER_BATCH, MAX_METRICS_PER_BATCH,
                            MAX_PARAM_VALUE, MAX_PARAMS_TAGS_PER_BATCH, MLFLOW_RUN_ID_TAG,
                            RECORD_FORMAT, RECORD_PATH, RUN_ID_TAG, InteropSummary, KeyMap,
                            dumps, metric_from_mlflow, mlflow_client, mlflow_key, param_text,
                            quiet_mlflow, run_digest, to_ms, to_mlflow_status)
from .mlflow_view import RESERVED_TAGS, mlflow_view, own_tags

__all__ = ["export_mlflow"]

#: Runs fetched per ``search_runs`` page when looking for earlier exports.
_PAGE = 10_000


def export_mlflow(store: Store, tracking_uri: str, experiment: str | None = None,
                  filter: str | None = None, artifact_root: str | None = None,
                  progress: Callable[[int, int], None] | None = None) -> InteropSummary:
    """Copy runs of ``store`` into the MLflow tracking store at ``tracking_uri``.

    Parameters
    ----------
    store : Store
        The nbtrack store to read.
    tracking_uri : str
        An MLflow tracking URI (``sqlite:///mlflow.db``, ``postgresql://...``,
        ``http://host:5000``); a new SQLite database is created by MLflow.
    experiment : str, optional
        Only the runs of this nbtrack experiment (default: every experiment).
    filter : str, optional
        Only the runs matching this filter (``"metrics.acc > 0.9"``).
    artifact_root : str, optional
        Where the artifacts of experiments this export creates go
        (``<artifact_root>/<experiment>``); default: MLflow's own default location.
        Experiments that exist keep theirs.
    progress : callable, optional
        Called as ``progress(runs_done, runs_total)`` after each run.

    Returns
    -------
    InteropSummary
        What was written; ``runs_present`` counts runs exported before and unchanged.

    Raises
    ------
    StoreError
        When mlflow is not installed or the tracking URI cannot be opened.
    InvalidValueError
        For an experiment the store does not have.
    """
    where = parse_filter(filter) if filter else None
    if experiment is not None and experiment not in store.experiments():
        known = ", ".join(sorted(store.experiments())) or "none yet"
        raise InvalidValueError(f"no experiment {experiment!r} in {store.uri} "
                                f"(experiments: {known})")
    client = mlflow_client(tracking_uri)
    table = store.search(where, (), experiment, None, 0)
    summary = InteropSummary(store.uri, tracking_uri)
    rows = sorted(zip(table.base.get("experiment", []), table.run_ids,
                      table.base.get("status", [])))
    own = _Destination(client, summary, artifact_root)
    for done, (name, run_id, status) in enumerate(rows, 1):
        if status == RunStatus.RUNNING.value:
            summary.runs_running += 1
        else:
            with quiet_mlflow():
                _export_run(store, own, name, run_id)
        if progress is not None:
            progress(done, len(rows))
    return summary


class _Destination:
    """The MLflow side: experiments by name and the runs exported into them before."""

    def __init__(self, client: Any, summary: InteropSummary, artifact_root: str | None) -> None:
        self.client, self.summary, self.artifact_root = client, summary, artifact_root
        self.experiment_ids: dict[str, str] = {}
        #: per experiment: nbtrack run id -> (MLflow run id, digest of the last export)
        self.exported: dict[str, dict[str, tuple[str, str | None]]] = {}

    def experiment_id(self, name: str) -> str:
        """The id of MLflow experiment ``name``, created on first use."""
        if name in self.experiment_ids:
            return self.experiment_ids[name]
        found = self.client.get_experiment_by_name(name)
        if found is not None and found.lifecycle_stage == "deleted":
            raise StoreError(f"MLflow experiment {name!r} is deleted; restore it "
                             "(mlflow experiments restore) or remove it for good "
                             "(mlflow gc) before exporting into it")
        if found is None:
            location = None
            if self.artifact_root is not None:
                location = f"{self.artifact_root.rstrip('/')}/{mlflow_key(name)}"
            exp_id = str(self.client.create_experiment(name, artifact_location=location))
            self.summary.experiments_created += 1
        else:
            exp_id = str(found.experiment_id)
        self.experiment_ids[name] = exp_id
        self.exported[name] = self._earlier_exports(exp_id)
        return exp_id

    def _earlier_exports(self, exp_id: str) -> dict[str, tuple[str, str | None]]:
        found: dict[str, tuple[str, str | None]] = {}
        token = None
        while True:
            page = self.client.search_runs([exp_id], f"tags.`{RUN_ID_TAG}` LIKE 'r-%'",
                                           max_results=_PAGE, page_token=token)
            for r in page:
                found.setdefault(r.data.tags[RUN_ID_TAG],
                                 (r.info.run_id, r.data.tags.get(DIGEST_TAG)))
            token = page.token
            if not token:
                return found

    def holds(self, mlflow_run_id: str) -> bool:
        """Whether this MLflow store has the run ``mlflow_run_id`` (not deleted)."""
        try:
            return bool(self.client.get_run(mlflow_run_id).info.lifecycle_stage == "active")
        except Exception:  # MLflow raises when the id is unknown
            return False


def _export_run(store: Store, dest: _Destination, experiment: str, run_id: str) -> None:
    run = store.get_run(run_id)
    context = store.get_context(run_id)
    digest = run_digest(run, context)
    exp_id = dest.experiment_id(experiment)
    earlier = dest.exported[experiment].get(run_id)
    if earlier is not None and earlier[1] == digest:
        dest.summary.runs_present += 1
        return
    came_from = run.tags.get(MLFLOW_RUN_ID_TAG)
    if earlier is None and came_from and dest.holds(came_from):
        dest.summary.runs_present += 1  # imported from this very store: it is there
        return
    client, summary = dest.client, dest.summary
    if earlier is None:
        created = client.create_run(exp_id, start_time=to_ms(run.start_time),
                                    tags={RUN_ID_TAG: run.run_id}, run_name=run.name)
        mlflow_id, mlflow_name = created.info.run_id, created.info.run_name
        have = _Existing()
        have.tags = {RUN_ID_TAG: run.run_id}
        summary.runs_copied += 1
    else:
        mlflow_id = earlier[0]
        have = _Existing.read(client, mlflow_id)
        mlflow_name = have.run_name
        summary.runs_updated += 1
    from mlflow.entities import RunTag

    writer = _RunWriter(store, run, context, have, summary)
    params, metrics, tags = writer.entities(client, mlflow_id)
    writer.upload(client, mlflow_id, mlflow_name)
    client.set_terminated(mlflow_id, to_mlflow_status(run.status),
                          end_time=to_ms(run.end_time or run.start_time))
    # the digest goes with the very last batch: a run whose export stopped early has none
    batches = list(_batches(params, metrics, tags))
    if not batches or len(batches[-1][2]) >= MAX_PARAMS_TAGS_PER_BATCH or \
            sum(map(len, batches[-1])) >= MAX_ENTITIES_PER_BATCH:
        batches.append(([], [], []))
    batches[-1][2].append(RunTag(DIGEST_TAG, digest))
    for batch in batches:
        client.log_batch(mlflow_id, metrics=batch[1], params=batch[0], tags=batch[2])
    dest.exported[experiment][run_id] = (mlflow_id, digest)


class _Existing:
    """What an MLflow run exported earlier holds already."""

    def __init__(self) -> None:
        self.exists = False
        self.params: dict[str, str] = {}
        self.tags: dict[str, str] = {}
        self.run_name: str | None = None
        self.artifacts: dict[str, str] = {}  # name -> sha256, from the earlier record

    @classmethod
    def read(cls, client: Any, mlflow_id: str) -> _Existing:
        import json

        have = cls()
        have.exists = True
        found = client.get_run(mlflow_id)
        have.params, have.tags = dict(found.data.params), dict(found.data.tags)
        have.run_name = found.info.run_name
        try:
            with tempfile.TemporaryDirectory() as tmp:
                path = client.download_artifacts(mlflow_id, RECORD_PATH, tmp)
                record = json.loads(Path(path).read_text())
        except Exception:  # no record: the earlier export stopped before writing it
            return have
        have.artifacts = {a["name"]: a["sha256"] for a in record["run"]["artifacts"]}
        return have


class _RunWriter:
    """The MLflow entities and files of one nbtrack run, less what MLflow holds already."""

    def __init__(self, store: Store, run: Run, context: dict[str, Any], have: _Existing,
                 summary: InteropSummary) -> None:
        self.store, self.run, self.context, self.have = store, run, context, have
        self.summary = summary
        self.own_tags = own_tags(run, context)
        self.tag_keys = KeyMap(RESERVED_TAGS)
        self.param_keys, self.metric_keys = KeyMap(), KeyMap()
        self.timestamps: dict[str, list[list[float]]] = {}

    def entities(self, client: Any, mlflow_id: str) -> tuple[list[Any], list[Any], list[Any]]:
        """The params, metric points and tags to log (only the missing ones)."""
        from mlflow.entities import Metric as MlflowMetric
        from mlflow.entities import Param, RunTag

        run, have, notes = self.run, self.have, self.summary.notes
        view = mlflow_view(run, self.own_tags, self.param_keys, self.tag_keys,
                           self.metric_keys)
        params = []
        for key, value in sorted(run.params.items()):
            mkey = self.param_keys(key)
            if len(param_text(value)) > MAX_PARAM_VALUE:
                notes.append(f"{run.run_id}: param {key!r} cut to {MAX_PARAM_VALUE} "
                             "characters in MLflow (the record keeps it whole)")
            if mkey not in have.params:
                params.append(Param(mkey, view.params[mkey]))
            elif have.params[mkey] != view.params[mkey]:
                notes.append(f"{run.run_id}: param {key!r} changed since the last export; "
                             "MLflow keeps params unchanged, the record has the new value")
        tag_entities = [RunTag(key, text) for key, text in view.tags.items()
                        if have.tags.get(key) != text]
        points = []
        for key in sorted(run.metrics):
            mkey = view.metric_keys[key]
            history = self.store.metric_history(run.run_id, key)
            self.timestamps[key] = [[p.step, p.timestamp] for p in history]
            logged = _logged_points(client, mlflow_id, mkey) if have.exists else set()
            points += [MlflowMetric(mkey, p.value, to_ms(p.timestamp), p.step)
                       for p in history if _point_key(p) not in logged]
        for kind, keys in (("param", self.param_keys), ("metric", self.metric_keys),
                           ("tag", self.tag_keys)):
            for mkey, key in keys.renamed().items():
                notes.append(f"{run.run_id}: {kind} {key!r} is {mkey!r} in MLflow")
        self.summary.params += len(params)
        self.summary.metric_points += len(points)
        self.summary.tags += len(tag_entities)
        return params, points, tag_entities

    def upload(self, client: Any, mlflow_id: str, mlflow_name: str | None) -> None:
        """Write the artifact files MLflow lacks and the run's record, in one upload."""
        run = self.run
        record = {
            "format": RECORD_FORMAT, "run": run.to_dict(), "context": self.context,
            "timestamps": self.timestamps, "mlflow_run_name": mlflow_name,
            "keys": {"params": self.param_keys.renamed(), "metrics": self.metric_keys.renamed(),
                     "tags": self.tag_keys.renamed()},
            "added_tags": sorted(k for k in self.own_tags
                                 if k not in self.tag_keys.to_mlflow.values()),
        }
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            for artifact in run.artifacts:
                if self.have.artifacts.get(artifact.name) == artifact.sha256:
                    continue
                data = self.store.read_artifact(run.run_id, artifact.name)
                target = root / artifact.name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                self.summary.artifacts += 1
                self.summary.artifact_bytes += len(data)
            target = root / RECORD_PATH
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(dumps(record))
            client.log_artifacts(mlflow_id, tmp)


def _point_key(point: Metric) -> tuple[int, int, Any]:
    value = point.value
    return point.step, to_ms(point.timestamp), "nan" if value != value else value


def _logged_points(client: Any, mlflow_id: str, key: str) -> set[tuple[int, int, Any]]:
    return {_point_key(Metric(key, metric_from_mlflow(m.value), m.step, m.timestamp / 1000))
            for m in client.get_metric_history(mlflow_id, key)}


def _batches(params: Sequence[Any], metrics: Sequence[Any],
             tags: Sequence[Any]) -> Iterator[tuple[list[Any], list[Any], list[Any]]]:
    """``(params, metrics, tags)`` chunks within MLflow's per-call limits."""
    p, m, t = list(params), list(metrics), list(tags)
    while p or m or t:
        ps = p[:MAX_PARAMS_TAGS_PER_BATCH]
        ts = t[:MAX_PARAMS_TAGS_PER_BATCH]
        ms = m[:min(MAX_METRICS_PER_BATCH, MAX_ENTITIES_PER_BATCH - len(ps) - len(ts))]
        p, t, m = p[len(ps):], t[len(ts):], m[len(ms):]
        yield ps, ms, ts
