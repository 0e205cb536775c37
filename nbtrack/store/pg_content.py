"""Artifact bytes inside the PostgreSQL database, one copy per sha256.

Every host that reaches the server reaches the artifacts too, with nothing
else to set up. Content is split into parts of :data:`PART_SIZE` bytes,
written with ``ON CONFLICT DO NOTHING`` (storing the same content twice, or
again after a retry, writes nothing), and re-hashed on every read.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, Callable, TypeVar

from ..errors import StoreError
from .artifacts import verify
from .dialect import SQLConnection

__all__ = ["DatabaseContent", "PART_SIZE"]

T = TypeVar("T")
#: Bytes per stored part.
PART_SIZE = 8 << 20
_NOW = "extract(epoch FROM now())::float8"


class DatabaseContent:
    """Content-addressed bytes in the ``contents`` table.

    Parameters
    ----------
    transaction, read : callable
        The backend's ways to run a function of a connection in a transaction, or as
        a read, with its retries.
    """

    def __init__(self, transaction: Callable[[Callable[[SQLConnection], Any]], Any],
                 read: Callable[[Callable[[SQLConnection], Any]], Any]) -> None:
        self._transaction = transaction
        self._read = read

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        """Store bytes; return (sha256, size)."""
        digest = hashlib.sha256(data).hexdigest()
        parts = [data[i:i + PART_SIZE] for i in range(0, len(data), PART_SIZE)] or [b""]

        def write(c: SQLConnection) -> None:
            if c.execute("SELECT 1 FROM contents WHERE sha256 = ? AND part = 0",
                         (digest,)).fetchone() is not None:
                return
            c.executemany(f"INSERT INTO contents VALUES (?, ?, ?, {_NOW}) "
                          "ON CONFLICT (sha256, part) DO NOTHING",
                          [(digest, i, part) for i, part in enumerate(parts)])

        self._transaction(write)
        return digest, len(data)

    def put_file(self, source: str | os.PathLike[str]) -> tuple[str, int]:
        """Copy a file in; return (sha256, size)."""
        with open(source, "rb") as f:
            return self.put_bytes(f.read())

    def read(self, name: str, digest: str) -> bytes:
        """Return the content, raising if its hash no longer matches."""
        parts: list[bytes] = self._read(lambda c: [bytes(p) for (p,) in c.execute(
            "SELECT data FROM contents WHERE sha256 = ? ORDER BY part", (digest,))])
        if not parts:
            raise StoreError(f"artifact {name!r} is missing from the store; "
                             "run `nbtrack fsck`")
        return verify(name, b"".join(parts), digest)

    def delete(self, digest: str) -> None:
        """Remove one stored content."""
        self._transaction(lambda c: c.execute("DELETE FROM contents WHERE sha256 = ?",
                                              (digest,)))

    def delete_unreferenced(self, digests: list[str]) -> None:
        """Remove those of ``digests`` that no artifact record refers to (checked again in
        the deleting statement: a run may have recorded one meanwhile)."""
        self._transaction(lambda c: c.execute(
            "DELETE FROM contents c WHERE sha256 = ANY(?) AND "
            "NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.sha256 = c.sha256)", (digests,)))

    def unreferenced(self, min_age: float) -> list[str]:
        """Content no artifact record refers to, stored at least ``min_age`` seconds ago
        (by the server's clock: a run on another host may not have flushed its record)."""
        found: list[str] = self._read(lambda c: [d for (d,) in c.execute(
            f"SELECT sha256 FROM contents c WHERE part = 0 AND created <= {_NOW} - ? AND "
            "NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.sha256 = c.sha256) "
            "ORDER BY sha256", (float(min_age),))])
        return found
