"""The model registry: register a run's model as a version, move aliases, look back.

``register_model`` turns a model saved by a run into ``NAME/1``, ``NAME/2``, ...;
``set_alias`` points ``NAME@production`` at a version (with compare-and-set);
every change is an event kept forever, so :func:`resolve` can answer what an
alias pointed to at any past moment. Loading re-checks the model file's sha256
against the one recorded at registration.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import socket
import time
from dataclasses import replace
from datetime import datetime
from typing import Any, Mapping

from ._version import __version__
from .errors import (InvalidValueError, ModelChoiceError, ModelNotFoundError,
                     RegistryConflictError)
from .monitoring.reference import REFERENCE_TAG
from .model_files import load_model_artifact
from .model_onnx import FORMAT as ONNX_FORMAT
from .model_onnx import onnx_export
from .model_torch import Init
from .store import Store
from .versions import (ModelAddress, ModelVersion, RegistryEvent, check_alias,
                       check_model_name, parse_address)

__all__ = ["register_model", "set_alias", "delete_alias", "delete_version", "resolve",
           "load_model", "registered_as", "claim_retrain",
           "models_frame", "versions_frame", "history_frame"]


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def _event(op: str, model: str, alias: str | None = None) -> RegistryEvent:
    return RegistryEvent(ts=time.time(), user=_user(), host=socket.gethostname(),
                         pid=os.getpid(), op=op, model=model, version=None, alias=alias,
                         old_value=None, new_value=None, nbtrack_version=__version__)


def register_model(store: Store, run_id: str, name: str, artifact: str | None = None,
                   description: str | None = None,
                   tags: Mapping[str, str] | None = None,
                   reference: Any = None, onnx: bool = False) -> ModelVersion:
    """Register the model a run saved as the next version of ``name``.

    Parameters
    ----------
    store : Store
    run_id : str
        Id or unique prefix of the run.
    name : str
        The registered model (created by its first version).
    artifact : str, optional
        The model's artifact name; needed only when the run saved several models.
    description, tags : optional
        Kept with the version (the only fields that may change later).
    reference : DataFrame or 2-D array, optional
        The training inputs to monitor the version against: a reservoir sample of at most
        10,000 rows is stored with the run. Without it, the sample the run's ``%%track``
        cell kept of the table it read that holds the model's inputs (if any); the tag
        ``nbtrack.reference`` names the one chosen.
    onnx : bool
        Also convert a scikit-learn model to ONNX (skl2onnx, inputs from the signature)
        and keep the ``.onnx`` file with the version: ``load_model(..., format="onnx")``.
        Needs ``pip install nbtrack[onnx]``; a model skl2onnx cannot convert is an error
        and registers nothing. The export is checked on the reference sample: when it
        predicts every row as the model does, ``nbtrack serve`` serves it by default
        (tag ``nbtrack.onnx.agrees``, e.g. ``"150/150"``); otherwise a warning says so
        and serving keeps the model file.

    Raises
    ------
    ModelChoiceError
        When the run saved no model, or several and ``artifact`` is not given.
    """
    check_model_name(name)
    store.flush()
    run = store.get_run(run_id)
    models = [a.name for a in run.artifacts if a.kind == "model"]
    if artifact is None:
        if len(models) != 1:
            raise ModelChoiceError(run.run_id, models,
                                   f"register_model(run, {name!r}, artifact={{!r}})")
        artifact = models[0]
    elif artifact not in models:
        raise ModelNotFoundError(f"run {run.run_id} has no model named {artifact!r} "
                                 f"(its models: {', '.join(models) or 'none'})")
    record = store.artifact_record(run.run_id, artifact)
    meta = dict(record.meta)
    signature = dict(meta.get("signature") or {})
    labels = dict(tags or {})
    chosen = _reference(store, run, signature, reference)
    if chosen is not None:
        labels[REFERENCE_TAG] = chosen
    if onnx:
        from .model_onnx import export_version
        from .monitoring.reference import load_sample

        rows = None if chosen is None else load_sample(store, run.run_id, chosen, signature)
        labels.update(export_version(store, run.run_id, record, trusted=False, rows=rows,
                                     address=f"the next version of {name!r}"))
    version = ModelVersion(
        name=name, version=0, run_id=run.run_id, cell_id=run.cell_id, artifact=artifact,
        digest=record.sha256, format=str(meta.get("format", "unknown")), created=time.time(),
        created_by=f"{_user()}@{socket.gethostname()}", metrics=dict(run.metrics),
        inputs=dict(run.record.inputs or {}),
        signature=signature, description=description, tags=labels)
    return store.backend.registry.register(version, _event("register", name))


def _reference(store: Store, run: Any, signature: Mapping[str, Any],
               given: Any) -> str | None:
    """The artifact holding the reference sample of a version being registered: a sample
    of ``given`` stored now, else the kept sample that fits the model's inputs."""
    from .entities import Artifact
    from .monitoring import reference as samples

    if given is None:
        return samples.choose_reference(samples.reference_artifacts(run), signature)
    table = samples.sample_table(given)
    if table is None:
        raise InvalidValueError("reference must be a DataFrame or a 2-D array with rows, got "
                                f"{type(given).__name__}")
    data, meta = samples.encode_sample(table)
    # named by content: registering the run again with other data keeps this sample intact
    name = samples.artifact_name(f"registered-{hashlib.sha256(data).hexdigest()[:12]}")
    meta = samples.sample_meta(samples.ReferenceSample("reference", table, len(given)), meta)
    store.add_artifact(run.run_id, Artifact(name, "", 0, samples.KIND, meta), data=data)
    store.flush()
    return name


def _version_of(store: Store, name: str, number: int) -> ModelVersion:
    found = store.backend.registry.versions(name, number)
    if not found:
        known = [v.version for v in store.backend.registry.versions(name)]
        if not known:
            raise ModelNotFoundError(f"no registered model {name!r}; register one with "
                                     "nbtrack.register_model(run, name)")
        raise ModelNotFoundError(f"{name} has no version {number} (versions: "
                                 f"{', '.join(map(str, known))})")
    return found[0]


def set_alias(store: Store, name: str, alias: str, version: int,
              expected: int | None = None) -> int | None:
    """Point ``name@alias`` at ``version`` in one transaction; return the version it
    pointed at before (None if it is new).

    With ``expected``, the move happens only if the alias points at that version now;
    otherwise :class:`~nbtrack.errors.RegistryConflictError` is raised and nothing moves.
    """
    check_model_name(name)
    check_alias(alias)
    return store.backend.registry.set_alias(name, alias, int(version), expected,
                                            _event("set_alias", name, alias))


def delete_alias(store: Store, name: str, alias: str) -> int:
    """Remove ``name@alias``; return the version it pointed at."""
    check_model_name(name)
    check_alias(alias)
    return store.backend.registry.delete_alias(name, alias, _event("delete_alias", name, alias))


def delete_version(store: Store, name: str, version: int, force: bool = False) -> list[str]:
    """Delete ``name/version``; refused while an alias points at it unless ``force``
    (which deletes those aliases too, each logged). Numbers are never reused."""
    check_model_name(name)
    return store.backend.registry.delete_version(name, int(version), force,
                                                 _event("delete_version", name))


def claim_retrain(store: Store, name: str, version: int, cooldown: float) -> float | None:
    """Record in the registry's history that ``name/version`` is being retrained, unless a
    retrain of ``name`` was recorded within ``cooldown`` seconds; then return when that one
    was, recording nothing."""
    check_model_name(name)
    event = replace(_event("retrain", name), version=int(version))
    return store.backend.registry.claim_retrain(event, float(cooldown))


def _timestamp(at: float | datetime) -> float:
    return at.timestamp() if isinstance(at, datetime) else float(at)


def resolve(store: Store, address: str | ModelAddress,
            at: float | datetime | None = None) -> ModelVersion:
    """The version an address names now, or at the moment ``at`` (a datetime or epoch
    seconds): ``NAME`` is the latest version, ``NAME/3`` version 3, ``NAME@alias`` the
    version the alias pointed to (replayed from the registry's history)."""
    where = parse_address(address) if isinstance(address, str) else address
    registry = store.backend.registry
    when = None if at is None else _timestamp(at)
    if where.version is not None:
        return _version_of(store, where.name, where.version)
    if where.alias is None:
        versions = [v for v in registry.versions(where.name)
                    if when is None or v.created <= when]
        if not versions:
            later = " (none registered by then)" if when is not None and \
                registry.versions(where.name) else ""
            raise ModelNotFoundError(f"no registered model {where.name!r}{later}; register "
                                     "one with nbtrack.register_model(run, name)")
        return versions[-1]
    target: int | None
    if when is None:
        target = registry.aliases(where.name).get(where.name, {}).get(where.alias)
    else:
        target = None
        for event in registry.events(where.name):
            if event.ts > when:
                break
            if event.alias == where.alias and event.op in ("set_alias", "delete_alias"):
                target = event.new_value
    if target is None:
        moment = "" if when is None else f" at {datetime.fromtimestamp(when):%Y-%m-%d %H:%M:%S}"
        raise ModelNotFoundError(f"{where.name}@{where.alias} did not exist{moment}; "
                                 f"see nbtrack.registry_history({where.name!r})")
    return _version_of(store, where.name, target)


def _checked_record(store: Store, version: ModelVersion, artifact: str,
                    digest: str) -> Any:
    record = store.artifact_record(version.run_id, artifact)
    if record.sha256 != digest:
        raise RegistryConflictError(
            f"the model file {artifact!r} of {version.address} changed after it was "
            f"registered (sha256 {record.sha256[:12]} instead of {digest[:12]}); it cannot "
            "be loaded as that version: register the run's model again")
    return record


def load_model(store: Store, address: str | ModelAddress, trusted: bool = False,
               format: str | None = None, init: Init = None) -> Any:
    """Load the model an address names, refusing a file whose sha256 differs from the
    one recorded when the version was registered.

    ``format="onnx"`` loads the version's ONNX export instead (an
    :class:`~nbtrack.model_onnx.OnnxModel`); ``init`` builds a PyTorch model's module
    (keyword arguments or a callable, see :func:`nbtrack.model_torch.load_torch`).
    """
    version = resolve(store, address)
    if format is not None and format != version.format:
        if format != ONNX_FORMAT:
            raise InvalidValueError(f"{version.address} is kept as {version.format}; "
                                    f"format={format!r} is not one it has (use "
                                    f"format={ONNX_FORMAT!r} or leave it out)")
        from .model_onnx import load_version_onnx

        name, digest = onnx_export(version)
        record = _checked_record(store, version, name, digest)
        return load_version_onnx(record, store.read_artifact(version.run_id, name), version)
    record = _checked_record(store, version, version.artifact, version.digest)
    return load_model_artifact(record, store.read_artifact(version.run_id, version.artifact),
                               trusted, init)


def registered_as(store: Store, run_id: str) -> list[str]:
    """The versions (``NAME/3``) a run's models were registered as."""
    return [v.address for v in store.backend.registry.versions(run_id=run_id)]


def models_frame(store: Store) -> Any:
    """Every registered model: latest version, its aliases, first and last registration."""
    import pandas as pd

    aliases = store.backend.registry.aliases()
    rows = [{"name": name, "latest_version": latest,
             "aliases": ", ".join(f"@{a}→{v}" for a, v in sorted(aliases.get(name, {}).items())),
             "created": pd.to_datetime(first, unit="s", utc=True).floor("s"),
             "updated": pd.to_datetime(last, unit="s", utc=True).floor("s")}
            for name, latest, first, last in store.backend.registry.models()]
    return pd.DataFrame(rows, columns=["name", "latest_version", "aliases", "created",
                                       "updated"])


def versions_frame(store: Store, name: str) -> Any:
    """The versions of one model, oldest first: lineage, digest, aliases, metrics."""
    import pandas as pd

    check_model_name(name)
    versions = store.backend.registry.versions(name)
    if not versions:
        raise ModelNotFoundError(f"no registered model {name!r}")
    held: dict[int, list[str]] = {}
    for alias, number in store.backend.registry.aliases(name).get(name, {}).items():
        held.setdefault(number, []).append(alias)
    rows = []
    for v in versions:
        row = {"version": v.version, "aliases": ", ".join(sorted(held.get(v.version, []))),
               "run_id": v.run_id, "cell_id": v.cell_id, "artifact": v.artifact,
               "format": v.format, "digest": v.digest[:12],
               "created": pd.to_datetime(v.created, unit="s", utc=True).floor("s"),
               "created_by": v.created_by, "description": v.description}
        row.update({f"metrics.{k}": value for k, value in sorted(v.metrics.items())})
        rows.append(row)
    return pd.DataFrame(rows)


def history_frame(store: Store, name: str | None = None) -> Any:
    """Every registry change (to one model), oldest first."""
    import pandas as pd

    events = store.backend.registry.events(name)
    frame = pd.DataFrame(
        [{"time": pd.to_datetime(e.ts, unit="s", utc=True).floor("ms"), "op": e.op,
          "model": e.model, "version": e.version, "alias": e.alias or "",
          "old": e.old_value, "new": e.new_value, "user": e.user, "host": e.host,
          "pid": e.pid} for e in events],
        columns=["time", "op", "model", "version", "alias", "old", "new", "user", "host",
                 "pid"])
    # versions are whole numbers, absent where an event has none
    return frame.astype({"version": "Int64", "old": "Int64", "new": "Int64"})
