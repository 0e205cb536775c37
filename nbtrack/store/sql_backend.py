"""What the SQL backends share: every read whose SQL is the same in each dialect.

A backend supplies :meth:`SQLBackendBase.read` (a function of a connection, run
with its locking and retries), a :class:`~nbtrack.store.dialect.Dialect` and a
place for artifact content; the reads here are written once on top of those.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Sequence, TypeVar

from ..entities import Artifact, Metric, Run
from ..errors import AmbiguousRunIdError, InvalidValueError, RunNotFoundError, StoreError
from ..filters import Node, OrderKey
from ..ids import normalize_prefix
from .artifacts import Content, check_artifact_name
from .codec import decode_float
from .dialect import Dialect, SQLConnection
from .object_content import check_location, content_at
from .reads import read_run
from .writes import WriteState
from .sql import COUNT, build_query, capped_count_sql

__all__ = ["SQLBackendBase"]

T = TypeVar("T")


class SQLBackendBase:
    """The shared half of a SQL backend (see the module docstring)."""

    uri: str
    dialect: Dialect
    content: Content
    #: What this connection remembers of its writes (experiment ids, last environment).
    write_state: WriteState
    #: Where new artifact bytes go when not in the store itself (an fsspec URL).
    artifact_location: str | None = None

    def write_once(self, body: Callable[[SQLConnection], None]) -> None:
        """``body(connection)`` in one transaction, not retried once it may have committed."""
        raise NotImplementedError

    def read(self, fn: Callable[[SQLConnection], T]) -> T:
        """``fn(connection)`` with the backend's locking and retries."""
        raise NotImplementedError

    def schema_version(self) -> int:
        """The schema version of the database."""
        version: int = self.read(
            lambda c: c.execute("SELECT version FROM nbtrack_schema").fetchone()[0])
        return version

    def use_artifact_location(self, url: str | None) -> None:
        """Write new artifact bytes below the fsspec ``url`` (None: in the store itself)."""
        self.artifact_location = None if url is None else check_location(url)

    def put_content(self, artifact: Artifact, data: bytes | None,
                    source_path: str | None) -> Artifact:
        """Store artifact bytes by content hash; return the artifact with hash and size.

        With an artifact location set, the bytes go there and the record keeps its
        URL under ``meta["location"]``, so they are found again whatever the
        location is later.
        """
        check_artifact_name(artifact.name)
        meta = {k: v for k, v in artifact.meta.items() if k != "location"}
        content: Content = self.content
        if self.artifact_location is not None:
            content = content_at(self.artifact_location)
            meta["location"] = self.artifact_location
        if data is not None:
            digest, size = content.put_bytes(data)
        elif source_path is not None:
            digest, size = content.put_file(source_path)
        else:
            raise InvalidValueError("an artifact needs data or a source path")
        return Artifact(artifact.name, digest, size, artifact.kind, meta)

    def content_of(self, artifact: Artifact) -> Content:
        """Where the bytes of ``artifact`` live: its recorded location, else the store."""
        location = artifact.meta.get("location")
        return self.content if location is None else content_at(str(location))

    def resolve_id(self, run_id_or_prefix: str) -> str:
        """Return the full run id for an id or a unique prefix of 4+ characters."""
        prefix = normalize_prefix(run_id_or_prefix)
        if len(prefix) < 6:
            raise InvalidValueError(f"run id prefix {run_id_or_prefix!r} is too short; "
                                    "give at least 4 characters after 'r-'")

        def look(c: SQLConnection) -> list[str]:
            return [r[0] for r in c.execute(
                "SELECT run_id FROM runs WHERE run_id >= ? AND run_id < ? ORDER BY run_id LIMIT 20",
                (prefix, prefix + "\U0010ffff"))]

        found = self.read(look)
        if prefix in found:
            return prefix
        if not found:
            raise RunNotFoundError(run_id_or_prefix)
        if len(found) > 1:
            raise AmbiguousRunIdError(run_id_or_prefix, found)
        return found[0]

    def get_run(self, run_id: str) -> Run:
        """Return one run by full id."""
        return self.read(lambda c: read_run(c, run_id, self.dialect))

    def _query(self, where: Node | None, order_by: Sequence[OrderKey], experiment: str | None,
               limit: int | None, offset: int, columns: str) -> tuple[str, list[Any]]:
        return build_query(where, order_by, experiment, limit, offset, columns,
                           self._count_capped, self.dialect)

    def _count_capped(self, sql: str, args: list[Any]) -> int:
        """How many rows ``sql`` gives, counting no further than the estimate's cap."""
        count: int = self.read(lambda c: c.execute(capped_count_sql(sql), args).fetchone()[0])
        return count

    def count(self, where: Node | None, experiment: str | None) -> int:
        """Count the matching runs."""
        sql, args = self._query(where, (), experiment, None, 0, COUNT)
        matching: int = self.read(lambda c: c.execute(sql, args).fetchone()[0])
        return matching

    def metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every point of one metric of one run, in step order."""
        return self.read(lambda c: [
            Metric(key, decode_float(v, x), s, t) for s, v, x, t in c.execute(
                "SELECT step, value, exact, timestamp FROM metrics WHERE run_id = ? AND key = ? "
                "ORDER BY step, timestamp, rowid", (run_id, key))])

    def get_context(self, run_id: str) -> dict[str, Any]:
        """Context entries of a run, with its environment under ``environment``."""
        def load(c: SQLConnection) -> dict[str, Any]:
            context = {k: json.loads(v) for k, v in c.execute(
                "SELECT key, value FROM run_context WHERE run_id = ?", (run_id,))}
            row = c.execute("SELECT body FROM environments JOIN runs USING (env_hash) "
                            "WHERE run_id = ?", (run_id,)).fetchone()
            if row is not None:
                context["environment"] = json.loads(row[0])
            return context

        return self.read(load)

    def experiments(self) -> list[str]:
        """Names of the experiments in the store, oldest first."""
        return self.read(lambda c: [n for (n,) in c.execute(
            "SELECT name FROM experiments ORDER BY experiment_id")])

    def read_content(self, run_id: str, name: str) -> bytes:
        """Return an artifact's bytes after checking their hash."""
        record = self.artifact_record(run_id, name)
        return self.content_of(record).read(name, record.sha256)

    def artifact_record(self, run_id: str, name: str) -> Artifact:
        """The stored record of one artifact (hash, kind and metadata from the database)."""
        row = self.read(lambda c: c.execute(
            "SELECT sha256, size, kind, meta FROM artifacts WHERE run_id = ? AND name = ?",
            (run_id, name)).fetchone())
        if row is None:
            raise StoreError(f"run {run_id} has no artifact named {name!r}; see "
                             f"`nbtrack show {run_id}` for its artifacts")
        return Artifact(name, row[0], row[1], row[2], json.loads(row[3]))
