"""What an exported run shows in MLflow: its params and tags as text under MLflow keys,
and the tags nbtrack adds (facts of the run MLflow users can read there)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..entities import Run
from .mlflow_common import (DIGEST_TAG, MAX_PARAM_VALUE, MAX_TAG_VALUE, RUN_ID_TAG, KeyMap,
                            fit_value, param_text)

__all__ = ["MlflowView", "mlflow_view", "own_tags", "RESERVED_TAGS"]

#: Tag keys only nbtrack writes (a run's own tag of that name is renamed).
RESERVED_TAGS = frozenset({RUN_ID_TAG, DIGEST_TAG})


@dataclass
class MlflowView:
    """What an export of a run shows in MLflow: its params and tags (MLflow keys, text as
    written) and the MLflow key of each metric."""

    params: dict[str, str]
    tags: dict[str, str]
    metric_keys: dict[str, str]


def mlflow_view(run: Run, added: dict[str, str], param_keys: KeyMap | None = None,
                tag_keys: KeyMap | None = None,
                metric_keys: KeyMap | None = None) -> MlflowView:
    """The params, tags and metric keys an export of ``run`` writes to MLflow.

    Parameters
    ----------
    run : Run
        The nbtrack run.
    added : dict
        The tags nbtrack adds (:func:`own_tags`); the run's own tags of the same key win.
    param_keys, tag_keys, metric_keys : KeyMap, optional
        The key maps to fill (their renames go into the export's record).

    Returns
    -------
    MlflowView
        Tags include the run id tag, not the digest (set once the export is complete).
    """
    param_keys = param_keys or KeyMap()
    tag_keys = tag_keys or KeyMap(RESERVED_TAGS)
    metric_keys = metric_keys or KeyMap()
    params = {param_keys(k): fit_value(param_text(v), MAX_PARAM_VALUE)
              for k, v in sorted(run.params.items())}
    tags = {tag_keys(k): v for k, v in sorted(run.tags.items())}
    for key, value in added.items():
        tags.setdefault(key, value)
    tags[RUN_ID_TAG] = run.run_id
    return MlflowView(params, {k: fit_value(v, MAX_TAG_VALUE) for k, v in tags.items()},
                      {k: metric_keys(k) for k in sorted(run.metrics)})


def own_tags(run: Run, context: dict[str, Any]) -> dict[str, str]:
    """The tags nbtrack adds to an exported run: facts MLflow users can read there."""
    tags = {"nbtrack.status": run.status.value}
    for key, value in (("nbtrack.cell_id", run.cell_id),
                       ("nbtrack.parent_run_id", run.parent_run_id),
                       ("nbtrack.host", run.host), ("nbtrack.pid", run.pid or None),
                       ("nbtrack.error", run.error)):
        if value:
            tags[key] = fit_value(str(value), MAX_TAG_VALUE)
    notebook = context.get("notebook")
    if notebook:
        tags["mlflow.source.name"] = str(notebook)
        tags["mlflow.source.type"] = "NOTEBOOK"
    git = (context.get("environment") or {}).get("git") or {}
    if isinstance(git, dict) and git.get("commit"):
        tags["mlflow.source.git.commit"] = str(git["commit"])
    for artifact in run.artifacts:
        if artifact.kind == "model":
            prefix = f"nbtrack.model.{artifact.name}"
            tags[f"{prefix}.format"] = str(artifact.meta.get("format", "unknown"))
            if artifact.meta.get("class"):
                tags[f"{prefix}.class"] = str(artifact.meta["class"])
    return tags
