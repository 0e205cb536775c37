"""Artifact bytes on any fsspec URL: ``s3://bucket/prefix``, ``file:///folder``, ``memory://x``.

Content is addressed by sha256 exactly as in a store folder (``<root>/ab/cdef...``),
so an object is written once and never changed. The URL names only where the
bytes live: credentials and endpoints come from the environment and the
standard configuration files of the filesystem's library (for S3:
``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``, ``AWS_ENDPOINT_URL``, ``~/.aws/...``), so
nothing secret is ever recorded with a run. Each artifact record keeps the URL
its bytes were written to, so changing ``NBTRACK_ARTIFACTS`` later never loses the
way to older artifacts.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import uuid
from typing import Any, Callable
from urllib.parse import urlsplit

from ..errors import InvalidValueError, StoreError
from .artifacts import verify

__all__ = ["ENV_VAR", "ObjectContent", "check_location", "content_at"]

#: The environment variable naming where new artifacts are written.
ENV_VAR = "NBTRACK_ARTIFACTS"

_CHUNK = 1 << 20
_DIGEST = re.compile(r"[0-9a-f]{64}")
# protocols whose writes can be seen half-done; those get a temporary name and a rename
_RENAMING_PROTOCOLS = {"file", "local"}


def check_location(url: str) -> str:
    """``url`` without a trailing slash if it can hold artifacts, else raise.

    Raises
    ------
    InvalidValueError
        For a URL without a protocol, with credentials or a query in it, or with a
        protocol fsspec does not know.
    """
    scheme, sep, rest = url.strip().partition("://")
    if not sep or not scheme:
        raise InvalidValueError(f"artifact location {url!r} is not a URL; give one such as "
                                "s3://bucket/prefix, file:///abs/folder or memory://name")
    url = f"{scheme}://{rest.rstrip('/')}" if rest.strip("/") else f"{scheme}://"
    parts = urlsplit(url)
    if parts.username or parts.password or "@" in parts.netloc:
        raise InvalidValueError(
            "artifact locations must not hold credentials; remove them from the URL and "
            "set them in the environment (AWS_ACCESS_KEY_ID / AWS_PROFILE for S3)")
    if parts.query or parts.fragment:
        raise InvalidValueError(f"artifact location {url!r} has a query or fragment; give "
                                "options through the environment instead")
    if not rest.strip("/"):
        raise InvalidValueError(f"artifact location {url!r} names no bucket or folder")
    return url


class ObjectContent:
    """Content-addressed artifact bytes below one fsspec URL.

    Parameters
    ----------
    url : str
        Where the bytes live, e.g. ``s3://team-bucket/nbtrack``.
    """

    def __init__(self, url: str) -> None:
        self.url = check_location(url)
        try:
            from fsspec.core import url_to_fs
        except ImportError:
            raise StoreError("artifacts on a URL need fsspec; install it with "
                             "pip install 'nbtrack[s3]'") from None
        try:
            self.fs, root = url_to_fs(self.url)
        except ImportError as exc:
            raise StoreError(f"artifacts at {self.url} need {exc.name or 'a filesystem'} "
                             "package; for S3 install it with pip install 'nbtrack[s3]'"
                             ) from None
        except ValueError as exc:
            raise InvalidValueError(f"artifact location {self.url!r}: {exc}") from None
        self.root = str(root).rstrip("/")
        protocol = self.fs.protocol
        protocols = {protocol} if isinstance(protocol, str) else set(protocol)
        self._rename = bool(protocols & _RENAMING_PROTOCOLS)

    def key_for(self, digest: str) -> str:
        """The object key of content with this hash."""
        if not _DIGEST.fullmatch(digest):
            raise StoreError(f"invalid content hash {digest!r}; run `nbtrack fsck`")
        return f"{self.root}/{digest[:2]}/{digest[2:]}"

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        """Store bytes; return (sha256, size)."""
        digest = hashlib.sha256(data).hexdigest()
        key = self.key_for(digest)
        if not self._exists(key):
            self._guarded(f"write {self.url}", lambda: self._write(key, data))
        return digest, len(data)

    def put_file(self, source: str | os.PathLike[str]) -> tuple[str, int]:
        """Copy a file in; return (sha256, size)."""
        hasher, size = hashlib.sha256(), 0
        with open(source, "rb") as src:
            while chunk := src.read(_CHUNK):
                hasher.update(chunk)
                size += len(chunk)
        digest = hasher.hexdigest()
        key = self.key_for(digest)
        if not self._exists(key):
            self._guarded(f"upload to {self.url}", lambda: self._upload(key, str(source)))
        return digest, size

    def read(self, name: str, digest: str) -> bytes:
        """Return the content, raising if its hash no longer matches."""
        key = self.key_for(digest)
        try:
            data = bytes(self.fs.cat_file(key))
        except FileNotFoundError:
            raise StoreError(f"artifact {name!r} is missing from {self.url}; "
                             "run `nbtrack fsck`") from None
        except OSError as exc:
            raise StoreError(f"cannot read artifact {name!r} from {self.url}: {exc}; check "
                             "the credentials and the endpoint in the environment") from None
        return verify(name, data, digest)

    def delete(self, digest: str) -> None:
        """Remove one stored content."""
        key = self.key_for(digest)
        if self._exists(key):
            self.fs.rm_file(key)

    def stored(self) -> dict[str, float | None]:
        """Every stored hash and when it was written (seconds since the epoch, or None)."""
        try:
            listing = self.fs.find(self.root, detail=True)
        except FileNotFoundError:
            return {}
        found: dict[str, float | None] = {}
        for path, info in listing.items():
            folder, _, name = str(path).rstrip("/").rpartition("/")
            digest = folder[-2:] + name
            if _DIGEST.fullmatch(digest):
                found[digest] = _modified(info)
        return found

    def _exists(self, key: str) -> bool:
        self.fs.invalidate_cache(key)
        return bool(self.fs.exists(key))

    def _write(self, key: str, data: bytes) -> None:
        self._place(key, lambda target: self.fs.pipe_file(target, data))

    def _upload(self, key: str, source: str) -> None:
        self._place(key, lambda target: self.fs.put_file(source, target))

    def _place(self, key: str, send: Callable[[str], None]) -> None:
        if not self._rename:
            # one PUT: an object store shows an object whole or not at all
            send(key)
            return
        temporary = f"{key}.tmp-{uuid.uuid4().hex}"
        self.fs.makedirs(key.rpartition("/")[0], exist_ok=True)
        send(temporary)
        self.fs.mv(temporary, key)

    def _guarded(self, what: str, write: Any) -> None:
        try:
            write()
        except OSError as exc:
            raise StoreError(f"cannot {what}: {exc}; check the credentials and the endpoint "
                             "in the environment") from None


def _modified(info: dict[str, Any]) -> float | None:
    for key in ("mtime", "LastModified", "created"):
        value = info.get(key)
        if value is None:
            continue
        if hasattr(value, "timestamp"):
            return float(value.timestamp())
        try:
            return float(value)
        except (TypeError, ValueError):
            continue
    return None


_opened: dict[str, ObjectContent] = {}
_opened_lock = threading.Lock()


def content_at(url: str) -> ObjectContent:
    """The (shared, per process) :class:`ObjectContent` of ``url``."""
    url = check_location(url)
    with _opened_lock:
        if url not in _opened:
            _opened[url] = ObjectContent(url)
        return _opened[url]
