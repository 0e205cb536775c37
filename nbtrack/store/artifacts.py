"""Content-addressed artifact files and artifact-name safety.

Content lives once per sha256 under ``artifacts/ab/cdef...``; the name a user
gives an artifact is only a key in the database. Files are written to a
temporary file, fsynced and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path, PurePosixPath
from typing import Protocol
from urllib.parse import unquote

from ..errors import ArtifactCorruptError, StoreError, UnsafeArtifactNameError

__all__ = ["check_artifact_name", "Content", "LocalContent", "MemoryContent"]

_CHUNK = 1 << 20
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")


def check_artifact_name(name: str) -> str:
    """Return ``name`` if it is a safe relative artifact name, else raise.

    Names are decoded repeatedly (so ``%2e%2e`` and ``%252e%252e`` are seen as
    ``..``) and refused when empty, absolute, with a drive letter, with
    backslashes, control characters, ``#``/``?``, or any ``.``/``..`` segment.

    Raises
    ------
    UnsafeArtifactNameError
    """
    if not isinstance(name, str) or not name:
        raise UnsafeArtifactNameError(str(name), "it is empty")
    decoded, previous = name, None
    for _ in range(5):
        if decoded == previous:
            break
        previous, decoded = decoded, unquote(decoded)
    for candidate in {name, decoded}:
        if any(unicodedata.category(ch) == "Cc" for ch in candidate):
            raise UnsafeArtifactNameError(name, "it contains control characters")
        if "\\" in candidate:
            raise UnsafeArtifactNameError(name, "backslashes are not allowed")
        if candidate.startswith("/") or _WINDOWS_DRIVE.match(candidate):
            raise UnsafeArtifactNameError(name, "it is an absolute path")
        if "#" in candidate or "?" in candidate:
            raise UnsafeArtifactNameError(name, "'#' and '?' are not allowed")
        parts = PurePosixPath(candidate).parts
        if any(part in ("..", ".") for part in candidate.split("/")):
            raise UnsafeArtifactNameError(name, "it walks out of the folder with '..'")
        if not parts or any(part == "" for part in candidate.split("/")):
            raise UnsafeArtifactNameError(name, "it has an empty path segment")
    if decoded != name:
        raise UnsafeArtifactNameError(name, "it is URL-encoded; give the plain name")
    if len(name) > 1000:
        raise UnsafeArtifactNameError(name[:40] + "...", "it is longer than 1000 characters")
    return name


class Content(Protocol):
    """Where a backend keeps artifact bytes, one copy per sha256."""

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        """Store bytes; return (sha256, size)."""

    def put_file(self, source: str | os.PathLike[str]) -> tuple[str, int]:
        """Copy a file in; return (sha256, size)."""

    def read(self, name: str, digest: str) -> bytes:
        """The content, re-hashed (``name`` is for messages)."""

    def delete(self, digest: str) -> None:
        """Remove one stored content."""


def verify(name: str, data: bytes, expected: str) -> bytes:
    """``data`` if its sha256 is ``expected``, else :class:`ArtifactCorruptError`."""
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ArtifactCorruptError(name, expected, actual)
    return data


class LocalContent:
    """Artifact bytes in a folder, one file per sha256.

    Parameters
    ----------
    root : str or Path
        The ``artifacts`` folder of a store.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path_for(self, digest: str) -> Path:
        """Where content with this hash lives."""
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise StoreError(f"invalid content hash {digest!r}; run `nbtrack fsck`")
        return self.root / digest[:2] / digest[2:]

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        """Store bytes; return (sha256, size)."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path_for(digest)
        if not target.exists():
            self._write_atomically(target, [data])
        return digest, len(data)

    def put_file(self, source: str | os.PathLike[str]) -> tuple[str, int]:
        """Copy a file in; return (sha256, size)."""
        self.root.mkdir(parents=True, exist_ok=True)
        hasher, size = hashlib.sha256(), 0
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-")
        try:
            with open(source, "rb") as src, os.fdopen(fd, "wb") as out:
                while chunk := src.read(_CHUNK):
                    hasher.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            target = self.path_for(hasher.hexdigest())
            if target.exists():
                os.unlink(tmp)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return hasher.hexdigest(), size

    def _write_atomically(self, target: Path, chunks: list[bytes]) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def read(self, name: str, digest: str) -> bytes:
        """Return the content, raising if its hash no longer matches."""
        try:
            data = self.path_for(digest).read_bytes()
        except FileNotFoundError:
            raise StoreError(f"artifact {name!r} is missing from the store; "
                             "run `nbtrack fsck`") from None
        return verify(name, data, digest)

    def all_digests(self) -> dict[str, Path]:
        """Every stored hash and its file (temporary leftovers excluded)."""
        found: dict[str, Path] = {}
        if not self.root.exists():
            return found
        for sub in self.root.iterdir():
            if sub.is_dir() and len(sub.name) == 2:
                for f in sub.iterdir():
                    if not f.name.startswith(".tmp-"):
                        found[sub.name + f.name] = f
        return found

    def leftovers(self) -> list[Path]:
        """Temporary files left by an interrupted write."""
        if not self.root.exists():
            return []
        return [p for p in self.root.rglob(".tmp-*") if p.is_file()]

    def delete(self, digest: str) -> None:
        """Remove one stored content file."""
        path = self.path_for(digest)
        if path.exists():
            path.unlink()


class MemoryContent(LocalContent):
    """Artifact bytes kept in a dict (for ``memory:`` stores)."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.root = Path(tempfile.gettempdir()) / "nbtrack-memory-artifacts"

    def put_bytes(self, data: bytes) -> tuple[str, int]:  # noqa: D102
        digest = hashlib.sha256(data).hexdigest()
        self.blobs[digest] = bytes(data)
        return digest, len(data)

    def put_file(self, source: str | os.PathLike[str]) -> tuple[str, int]:  # noqa: D102
        return self.put_bytes(Path(source).read_bytes())

    def read(self, name: str, digest: str) -> bytes:  # noqa: D102
        if digest not in self.blobs:
            raise StoreError(f"artifact {name!r} is missing from the store")
        return verify(name, self.blobs[digest], digest)

    def all_digests(self) -> dict[str, Path]:  # noqa: D102
        return {d: Path(d) for d in self.blobs}

    def leftovers(self) -> list[Path]:  # noqa: D102
        return []

    def delete(self, digest: str) -> None:  # noqa: D102
        self.blobs.pop(digest, None)
