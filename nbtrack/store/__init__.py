"""Store backends, chosen by URI scheme.

``open_store("sqlite:///path/.nbtrack")``, a plain folder path,
``open_store("memory:")`` or ``open_store("postgresql://user@host:5432/db")``.
A new backend registers a builder under its scheme; callers never name a
backend class.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from ..errors import StoreError, StoreNotFoundError
from .base import Store
from .contract import RunTable
from .object_content import ENV_VAR as ARTIFACTS_ENV_VAR
from .schema import DB_NAME

__all__ = ["open_store", "register_backend", "Store", "RunTable"]


def _sqlite(rest: str) -> Store:
    from .sqlite import open_sqlite

    return open_sqlite(rest)


def _memory(rest: str) -> Store:
    from .sqlite import open_sqlite

    return open_sqlite(None)


def _postgres(scheme: str) -> Callable[[str], Store]:
    def build(rest: str) -> Store:
        try:
            from .postgres import open_postgres
        except ImportError as exc:
            if not (exc.name or "").startswith("psycopg"):
                raise
            raise StoreError("a PostgreSQL store needs psycopg; install it with "
                             "pip install 'nbtrack[postgres]'") from None
        return open_postgres(f"{scheme}://{rest}")

    return build


_BACKENDS: dict[str, Callable[[str], Store]] = {
    "sqlite": _sqlite, "memory": _memory,
    "postgresql": _postgres("postgresql"), "postgres": _postgres("postgres")}


def register_backend(scheme: str, builder: Callable[[str], Store]) -> None:
    """Make ``scheme:...`` URIs open with ``builder(rest_of_uri)``."""
    _BACKENDS[scheme] = builder


def open_store(uri: str, create: bool = True, artifacts: str | None = None) -> Store:
    """Open the store at ``uri``, creating it if needed unless ``create`` is false.

    Parameters
    ----------
    uri : str
        ``sqlite:///abs/folder``, ``sqlite://rel/folder``, ``memory:``,
        ``postgresql://user@host:port/dbname`` or a folder path.
    create : bool
        False for callers that only read (the command line, the server): a folder that
        holds no store is then an error, and nothing is written.
    artifacts : str, optional
        An fsspec URL (``s3://bucket/prefix``, ``file:///folder``, ``memory://name``)
        new artifact bytes are written below; default ``NBTRACK_ARTIFACTS``, else
        inside the store. Artifacts written earlier are read from wherever their
        record says they went.

    Raises
    ------
    StoreError
        For an unknown scheme, listing the valid ones.
    StoreNotFoundError
        When ``create`` is false and ``uri`` names a folder without a store.
    """
    scheme, sep, rest = uri.partition(":")
    if not sep or len(scheme) == 1 or "/" in scheme or "\\" in scheme:
        # a plain path (also C:\... on Windows)
        _must_exist(uri, create)
        return _with_artifacts(_sqlite(uri), artifacts)
    builder = _BACKENDS.get(scheme.lower())
    if builder is None:
        valid = ", ".join(f"{s}:" for s in sorted(_BACKENDS))
        raise StoreError(f"unknown store scheme {scheme!r} in {uri!r}; valid schemes are "
                         f"{valid} or a folder path")
    if rest.startswith("//"):
        rest = rest[2:]
    if scheme.lower() == "sqlite":
        _must_exist(rest, create)
    return _with_artifacts(builder(rest), artifacts)


def _with_artifacts(store: Store, artifacts: str | None) -> Store:
    location = artifacts or os.environ.get(ARTIFACTS_ENV_VAR, "").strip() or None
    if location is not None:
        try:
            store.backend.use_artifact_location(location)
        except BaseException:
            store.close()
            raise
    return store


def _must_exist(folder: str, create: bool) -> None:
    if not create and not (Path(folder) / DB_NAME).is_file():
        raise StoreNotFoundError(f"no nbtrack store at {folder} (a store is a folder holding "
                                 f"{DB_NAME}); check the path")
