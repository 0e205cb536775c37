"""What a store backend implements, and the values that cross that line.

A backend persists; it does not buffer, time or retry writes on behalf of the
caller (:mod:`nbtrack.store.buffer` does that once for every backend) and it
knows nothing of models, notebooks or views. :class:`Backend` is the whole
contract a second backend (PostgreSQL, say) must meet, and
``tests/test_store_contract.py`` runs the same suite against every one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Protocol, Sequence

from ..entities import Artifact, Metric, Run
from ..filters import Node, OrderKey
from ..versions import ModelVersion, RegistryEvent

__all__ = ["Backend", "RegistryBackend", "Op", "RunTable", "STALE_AFTER"]

#: A running run whose heartbeat is older than this is considered dead (seconds).
STALE_AFTER = 120.0

@dataclass
class Op:
    """One buffered write.

    A backend writes every kind; the payload's shape depends on it:
    ``create_run`` ``(Run, context dict, environment dict or None)``; ``params``
    and ``tags`` lists of ``(key, value)``; ``metrics`` a list of :class:`Metric`;
    ``points`` a list of ``(key, value, step, timestamp)``; ``context`` a dict;
    ``artifact`` an :class:`Artifact` whose content is stored already;
    ``heartbeat`` a timestamp; ``end_run`` ``(RunStatus, end_time, error)``.
    """

    kind: str
    run_id: str
    payload: Any = None


@dataclass
class RunTable:
    """Runs as columns, the shape a DataFrame is built from without per-row objects.

    ``base`` maps the fixed columns (run_id, experiment, name, ...) to lists;
    ``params`` / ``metrics`` / ``tags`` map each key to a list aligned with
    ``base["run_id"]`` (None where a run lacks the key).
    """

    base: dict[str, list[Any]] = field(default_factory=dict)
    params: dict[str, list[Any]] = field(default_factory=dict)
    metrics: dict[str, list[Any]] = field(default_factory=dict)
    tags: dict[str, list[Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.base.get("run_id", ()))

    @property
    def run_ids(self) -> list[str]:
        """The runs' ids, in the table's order."""
        return list(self.base.get("run_id", ()))

    def record(self, i: int) -> dict[str, Any]:
        """Run ``i`` as one dict: its fixed columns, ``duration`` (None while it runs),
        and ``params`` / ``metrics`` / ``tags`` without the keys it lacks."""
        out = {column: values[i] for column, values in self.base.items()}
        start, end = out.get("start_time"), out.get("end_time")
        out["duration"] = None if end is None or start is None else end - start
        for section, columns in (("params", self.params), ("metrics", self.metrics),
                                 ("tags", self.tags)):
            out[section] = {k: v[i] for k, v in columns.items() if v[i] is not None}
        return out

    def records(self) -> list[dict[str, Any]]:
        """Every run as :meth:`record` gives it, in the table's order."""
        return [self.record(i) for i in range(len(self))]

    def copy(self) -> RunTable:
        """A copy whose column lists can be changed without touching this one."""
        return RunTable({k: list(v) for k, v in self.base.items()},
                        {k: list(v) for k, v in self.params.items()},
                        {k: list(v) for k, v in self.metrics.items()},
                        {k: list(v) for k, v in self.tags.items()})


class RegistryBackend(Protocol):
    """Where registered model versions, aliases and the registry's history persist.

    Writes are immediate (never buffered), each one transaction: the next version
    number and an alias's compare-and-set are decided inside it.
    """

    def register(self, version: ModelVersion, event: RegistryEvent) -> ModelVersion:
        """Store ``version`` as its model's next version; return it with its number."""

    def set_alias(self, name: str, alias: str, version: int, expected: int | None,
                  event: RegistryEvent) -> int | None:
        """Move an alias (refused when ``expected`` is given and differs); return the old
        version."""

    def delete_alias(self, name: str, alias: str, event: RegistryEvent) -> int:
        """Remove an alias; return the version it pointed at."""

    def delete_version(self, name: str, version: int, force: bool,
                       event: RegistryEvent) -> list[str]:
        """Delete a version; refused while an alias points at it unless ``force`` (which
        deletes those aliases too); return those aliases."""

    def versions(self, name: str | None = None, version: int | None = None,
                 run_id: str | None = None) -> list[ModelVersion]:
        """Versions, oldest first: of one model (one version), or registered from a run."""

    def aliases(self, name: str | None = None) -> dict[str, dict[str, int]]:
        """Model name → alias → version."""

    def events(self, name: str | None = None) -> list[RegistryEvent]:
        """The registry's history, oldest first."""

    def models(self) -> list[tuple[str, int, float, float]]:
        """``(name, latest version, first registered, last registered)`` per model."""

    def log_requests(self, rows: list[tuple[Any, ...]]) -> None:
        """Append logged serving requests (``request_id, ts, model, version, status,
        latency, rows, inputs JSON, predictions JSON``) in one transaction."""

    def requests(self, model: str | None = None) -> list[dict[str, Any]]:
        """Logged serving requests (of one model), oldest first."""

    def log_labels(self, rows: list[tuple[str, float, str]]) -> None:
        """Store true labels of served requests (``request_id, ts, labels JSON``); labels
        sent again for a request replace the earlier ones."""

    def labels(self, model: str | None = None) -> dict[str, list[Any]]:
        """Request id → its labels (of the requests logged for one model)."""

    def claim_retrain(self, event: RegistryEvent, cooldown: float) -> float | None:
        """Append ``event`` (op ``retrain``) unless a retrain of its model was appended less
        than ``cooldown`` seconds before it; then return that one's time, appending
        nothing. Atomic: of two concurrent claims at most one succeeds within a cooldown."""


class Backend(Protocol):
    """A place runs persist. Reads see every write :meth:`apply` has returned from."""

    #: Where the store is, as ``open_store`` accepts it (``sqlite:///...``, ``memory:``).
    uri: str
    #: The host name this process records runs under (liveness is judged per host).
    host: str

    @property
    def registry(self) -> RegistryBackend:
        """The model registry kept in the same store."""

    # -- writes
    def apply(self, ops: Sequence[Op]) -> None:
        """Write the operations in one transaction: all of them or, on error, none."""

    def put_content(self, artifact: Artifact, data: bytes | None,
                    source_path: str | None) -> Artifact:
        """Store artifact bytes by content; return the artifact with its sha256 and size."""

    #: where new artifact bytes go (see :meth:`use_artifact_location`); None: the store
    artifact_location: str | None

    def use_artifact_location(self, url: str | None) -> None:
        """Put new artifact bytes below the fsspec ``url`` (None: in the store itself)."""

    # -- reads
    def resolve_id(self, run_id_or_prefix: str) -> str:
        """The full id of a run given by id or unique prefix (4+ characters)."""

    def get_run(self, run_id: str) -> Run:
        """One run by full id."""

    def search(self, where: Node | None, order_by: Sequence[OrderKey],
               experiment: str | None, limit: int | None, offset: int) -> RunTable:
        """The matching runs as columns, newest first unless ``order_by`` says otherwise."""

    def count(self, where: Node | None, experiment: str | None) -> int:
        """How many runs match."""

    def metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every point of one metric of one run, in step order."""

    def get_context(self, run_id: str) -> dict[str, Any]:
        """A run's context entries, with its environment under ``environment``."""

    def experiments(self) -> list[str]:
        """Names of the experiments, oldest first."""

    def artifact_record(self, run_id: str, name: str) -> Artifact:
        """The stored record of one artifact (hash, kind, metadata)."""

    def read_content(self, run_id: str, name: str) -> bytes:
        """An artifact's bytes, re-hashed against the record."""

    def schema_version(self) -> int:
        """The version of the backend's schema."""

    # -- housekeeping
    def reap_dead_runs(self, open_here: set[str]) -> list[str]:
        """Mark RUNNING runs whose process is gone KILLED (never those in ``open_here``)."""

    def bulk_import(self, runs: Iterable[Run], batch_size: int) -> int:
        """Write finished runs in large transactions; return how many."""

    def gc(self, dry_run: bool, min_age: float) -> list[str]:
        """Artifact content no run refers to; deleted unless ``dry_run``."""

    def fsck(self) -> list[str]:
        """Problems found checking the database and re-hashing every artifact."""

    def bound_waits(self, seconds: float) -> None:
        """From now on wait at most ``seconds`` for a store another process holds."""

    def idle(self) -> None:
        """Housekeeping the background thread may run between flushes."""

    def close(self) -> None:
        """Release connections and files."""
