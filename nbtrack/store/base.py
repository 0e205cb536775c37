"""The store every reader and writer uses: one backend behind one write buffer.

:class:`Store` is the only store type callers see. Writes are buffered
(:mod:`nbtrack.store.buffer`); every read first flushes, so a process always
reads its own writes; the backend (:class:`~nbtrack.store.contract.Backend`)
only persists.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from ..entities import Artifact, Metric, Run, RunStatus
from ..errors import HandedOff
from ..filters import Node, OrderKey
from .buffer import WriteBuffer
from .contract import Backend, Op, RunTable
from . import pending
from .deferred import DeferredArtifacts

__all__ = ["Store"]


class Store:
    """A place runs are recorded.

    Parameters
    ----------
    backend : Backend
        Where the runs persist (see :func:`nbtrack.store.open_store`).
    folder : Path, optional
        The local folder the store lives in, when it has one.
    """

    def __init__(self, backend: Backend, folder: Path | None = None) -> None:
        self.backend = backend
        self.buffer = WriteBuffer(backend)
        self.folder = folder
        self.deferred = DeferredArtifacts()
        # runs whose artifacts another process records (see add_artifact_later)
        self._handed_off: dict[str, pending.HandOff] = {}

    @property
    def uri(self) -> str:
        """Where the store is, as :func:`~nbtrack.store.open_store` accepts it."""
        return self.backend.uri

    # ----------------------------------------------------------------- writes
    def create_run(self, run: Run, context: Mapping[str, Any] | None = None,
                   environment: Mapping[str, Any] | None = None) -> None:
        """Record a new run (buffered).

        Parameters
        ----------
        run : Run
            The run as it starts (status RUNNING, params/tags may be set).
        context : dict, optional
            Free-form facts kept with the run (source code, notebook path, ...).
        environment : dict, optional
            Python/platform/packages/git facts, stored once per distinct value.
        """
        self.buffer.open_runs.add(run.run_id)
        self.buffer.add(Op("create_run", run.run_id, (run, dict(context or {}), environment)))

    def log_batch(self, run_id: str, params: Sequence[tuple[str, Any]] = (),
                  metrics: Sequence[Metric] = (), tags: Sequence[tuple[str, str]] = ()) -> None:
        """Record params, metric points and tags of a run (buffered)."""
        if params:
            self.buffer.add(Op("params", run_id, list(params)))
        if metrics:
            self.buffer.add(Op("metrics", run_id, list(metrics)))
        if tags:
            self.buffer.add(Op("tags", run_id, list(tags)))

    def log_metric_point(self, run_id: str, key: str, value: float, step: int,
                         timestamp: float) -> None:
        """Record one metric point (buffered); the hot path of ``log_metric``."""
        self.buffer.add_point(run_id, (key, value, step, timestamp))

    def set_context(self, run_id: str, context: Mapping[str, Any]) -> None:
        """Add or replace context entries of a run (buffered)."""
        self.buffer.add(Op("context", run_id, dict(context)))

    def end_run(self, run_id: str, status: RunStatus, end_time: float,
                error: str | None = None) -> None:
        """Mark a run ended and commit everything buffered for it."""
        self.buffer.add(Op("end_run", run_id, (status, end_time, error)))
        self.buffer.open_runs.discard(run_id)
        self.buffer.flush()

    def add_artifact(self, run_id: str, artifact: Artifact, data: bytes | None = None,
                     source_path: str | None = None) -> Artifact:
        """Store artifact content now and record it with the run (buffered row).

        Exactly one of ``data`` or ``source_path`` gives the content. The
        returned Artifact carries the content's sha256 and size.
        """
        stored = self.backend.put_content(artifact, data, source_path)
        self.buffer.add(Op("artifact", run_id, stored))
        return stored

    def add_artifact_later(self, run_id: str, artifact: Artifact,
                           produce: Callable[[], tuple[bytes, Mapping[str, Any]]],
                           failed: Callable[[Exception], None],
                           hurry: Callable[[], None] | None = None,
                           hand_off: pending.HandOff | None = None) -> None:
        """Record an artifact whose content ``produce`` makes on a worker thread.

        The run may end meanwhile; the artifact is committed with it once made, its
        metadata merged with what ``produce`` returns. Reads of the run's artifacts in
        this process wait for it (see :mod:`nbtrack.store.deferred`), calling ``hurry``
        first; ``failed`` is told when it could not be made.

        With ``hand_off``, a store in a local folder gives the job to that process
        instead, now if it takes it (it records the artifact itself, even if this
        process ends first), else when this process exits. The run is marked
        meanwhile (:mod:`nbtrack.store.pending`) and every reader, here or elsewhere,
        waits for the mark to go.
        """
        def job() -> None:
            try:
                try:
                    data, meta = produce()
                except HandedOff:
                    return
                self.add_artifact(run_id, replace(artifact, meta={**artifact.meta, **meta}),
                                  data=data)
                self.buffer.flush()
            except Exception as exc:  # the worker serves every run: report, go on
                failed(exc)

        def here() -> None:
            self.deferred.submit(run_id, job, hurry)

        if hand_off is not None and self._hand_off(run_id, artifact, hand_off, here):
            self._handed_off[run_id] = hand_off
            return
        self.deferred.submit(run_id, job, hurry,
                             None if hand_off is None else lambda: self._hand_off(
                                 run_id, artifact, hand_off, None))

    def _hand_off(self, run_id: str, artifact: Artifact, hand_off: pending.HandOff,
                  here: Callable[[], None] | None) -> bool:
        """Give the job to ``hand_off``'s process; should that process end before it
        could take it, the job is done ``here`` after all (when this process still can)."""
        folder = self.folder
        if folder is None or self.backend.artifact_location is not None:
            return False
        marker = pending.mark(folder, run_id, hand_off.pid)
        record = {"store": self.uri, "artifacts": None, "run_id": run_id,
                  "name": artifact.name, "meta": dict(artifact.meta), "marker": str(marker)}

        def lost() -> None:
            # queued before the marker goes, so that no reader sees neither
            if here is not None:
                here()
            pending.clear(marker)

        try:
            self.buffer.flush()
            taken = hand_off.take(record, lost)
        except Exception:
            taken = False
        if not taken:
            pending.clear(marker)
        return taken

    def flush(self) -> int:
        """Commit everything buffered in one transaction; return how many ops."""
        return self.buffer.flush()

    def bulk_import(self, runs: Iterable[Run], batch_size: int = 10_000) -> int:
        """Write finished runs directly (no buffer), in large transactions."""
        return self.backend.bulk_import(runs, batch_size)

    # ------------------------------------------------------------------ reads
    def resolve_id(self, run_id_or_prefix: str) -> str:
        """The full run id for an id or a unique prefix of 4+ characters."""
        self.buffer.flush()
        return self.backend.resolve_id(run_id_or_prefix)

    def get_run(self, run_id_or_prefix: str, wait: bool = True) -> Run:
        """One run by full id or unique prefix (4+ characters).

        ``wait=False`` reads the run as committed now, without waiting for artifacts
        this process is still writing (see :meth:`add_artifact_later`).
        """
        run_id = self.resolve_id(run_id_or_prefix)
        if wait:
            self._wait_for_artifacts(run_id)
        run = self.backend.get_run(run_id)
        return replace(run, reader=self)

    def search(self, where: Node | None = None, order_by: Sequence[OrderKey] = (),
               experiment: str | None = None, limit: int | None = None,
               offset: int = 0) -> RunTable:
        """The matching runs as columns (see :class:`RunTable`)."""
        self.buffer.flush()
        return self.backend.search(where, order_by, experiment, limit, offset)

    def count(self, where: Node | None = None, experiment: str | None = None) -> int:
        """How many runs match."""
        self.buffer.flush()
        return self.backend.count(where, experiment)

    def metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every point of one metric of one run, in step order."""
        self.buffer.flush()
        return self.backend.metric_history(run_id, key)

    def get_context(self, run_id: str) -> dict[str, Any]:
        """Context entries of a run (source, notebook, environment, ...)."""
        self.buffer.flush()
        return self.backend.get_context(run_id)

    def experiments(self) -> list[str]:
        """Names of the experiments in the store, oldest first."""
        self.buffer.flush()
        return self.backend.experiments()

    def artifact_record(self, run_id: str, name: str) -> Artifact:
        """The stored record of one artifact (hash, kind and metadata from the database)."""
        self._wait_for_artifacts(run_id)
        self.buffer.flush()
        return self.backend.artifact_record(run_id, name)

    def read_artifact(self, run_id: str, name: str) -> bytes:
        """An artifact's bytes after checking their hash."""
        self._wait_for_artifacts(run_id)
        self.buffer.flush()
        return self.backend.read_content(run_id, name)

    def _wait_for_artifacts(self, run_id: str | None) -> None:
        """Until the artifacts of ``run_id`` (None: of every run) still being made, here
        or by a process an exited one handed them to, are recorded."""
        self.deferred.wait(run_id)
        if self.folder is not None:
            waiting = [r for r in self._handed_off if run_id is None or r == run_id]
            for handed in waiting:
                self._handed_off.pop(handed).expedite()
            pending.wait(self.folder, run_id)
            # a job whose taker ended before taking it came back here meanwhile
            self.deferred.wait(run_id)

    def schema_version(self) -> int:
        """The schema version of the database."""
        return self.backend.schema_version()

    # ------------------------------------------------------------ maintenance
    def reap_dead_runs(self) -> list[str]:
        """Mark RUNNING runs whose process is gone as KILLED; return their ids."""
        self.buffer.flush()
        return self.backend.reap_dead_runs(set(self.buffer.open_runs))

    def gc(self, dry_run: bool = True, min_age: float = 3600.0) -> list[str]:
        """Artifact files no run refers to (older than ``min_age`` seconds), deleted unless dry."""
        self._wait_for_artifacts(None)
        self.buffer.flush()
        return self.backend.gc(dry_run, min_age)

    def fsck(self) -> list[str]:
        """Check database integrity and re-hash artifacts; return the problems found."""
        self._wait_for_artifacts(None)
        self.buffer.flush()
        return self.backend.fsck()

    def bound_waits(self, seconds: float) -> None:
        """Wait at most ``seconds`` for a busy store from now on."""
        self.backend.bound_waits(seconds)

    def close(self) -> None:
        """Flush and release the backend's resources."""
        try:
            self.deferred.close()
            self.buffer.close()
        finally:
            self.backend.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
