"""The registry side of a SQL backend: each call one transaction or one read."""

from __future__ import annotations

from typing import Any, Callable, Protocol, TypeVar

from ..versions import ModelVersion, RegistryEvent
from .dialect import SQLConnection
from .registry_sql import (claim_retrain, drop_version, insert_requests, insert_version,
                           move_alias, read_aliases, read_events, read_labels, read_models,
                           read_requests, read_versions, remove_alias, upsert_labels)

__all__ = ["SQLRegistry"]

T = TypeVar("T")


class _Connection(Protocol):
    """What the registry needs of its backend: a transaction that keeps other registry
    writers out, and a read."""

    def transaction(self, body: Callable[[SQLConnection], T]) -> T: ...

    def read(self, fn: Callable[[SQLConnection], T]) -> T: ...


class SQLRegistry:
    """Model versions, aliases and the registry's history in a SQL backend.

    Parameters
    ----------
    backend : SQLiteBackend or the PostgreSQL backend's registry connection
        Whose connection, locking and retries every call goes through.
    """

    def __init__(self, backend: _Connection) -> None:
        self._backend = backend

    def register(self, version: ModelVersion, event: RegistryEvent) -> ModelVersion:
        """Store ``version`` as its model's next version; return it with its number."""
        return self._backend.transaction(lambda c: insert_version(c, version, event))

    def set_alias(self, name: str, alias: str, version: int, expected: int | None,
                  event: RegistryEvent) -> int | None:
        """Point ``name@alias`` at ``version`` (only if it points at ``expected`` now,
        when given); return where it pointed before."""
        return self._backend.transaction(lambda c: move_alias(
            c, name, alias, version, expected, expected is not None, event))

    def delete_alias(self, name: str, alias: str, event: RegistryEvent) -> int:
        """Remove ``name@alias``; return the version it pointed at."""
        return self._backend.transaction(lambda c: remove_alias(c, name, alias, event))

    def delete_version(self, name: str, version: int, force: bool,
                       event: RegistryEvent) -> list[str]:
        """Delete a version (``force``: and the aliases on it); return those aliases."""
        return self._backend.transaction(lambda c: drop_version(c, name, version, force,
                                                                event))

    def versions(self, name: str | None = None, version: int | None = None,
                 run_id: str | None = None) -> list[ModelVersion]:
        """Versions, oldest first (of one model; one version; registered from one run)."""
        return self._backend.read(lambda c: read_versions(c, name, version, run_id))

    def aliases(self, name: str | None = None) -> dict[str, dict[str, int]]:
        """Model name → alias → version."""
        return self._backend.read(lambda c: read_aliases(c, name))

    def events(self, name: str | None = None) -> list[RegistryEvent]:
        """The history of every change (to one model), oldest first."""
        return self._backend.read(lambda c: read_events(c, name))

    def models(self) -> list[tuple[str, int, float, float]]:
        """``(name, latest version, first registered, last registered)`` per model."""
        return self._backend.read(read_models)

    def log_requests(self, rows: list[tuple[Any, ...]]) -> None:
        """Append logged serving requests in one transaction."""
        self._backend.transaction(lambda c: insert_requests(c, rows))

    def requests(self, model: str | None = None) -> list[dict[str, Any]]:
        """Logged serving requests (of one model), oldest first."""
        return self._backend.read(lambda c: read_requests(c, model))

    def log_labels(self, rows: list[tuple[str, float, str]]) -> None:
        """Store labels of served requests (``request_id, ts, labels JSON``) in one
        transaction."""
        self._backend.transaction(lambda c: upsert_labels(c, rows))

    def labels(self, model: str | None = None) -> dict[str, list[Any]]:
        """Request id → labels (of one model's logged requests)."""
        return self._backend.read(lambda c: read_labels(c, model))

    def claim_retrain(self, event: RegistryEvent, cooldown: float) -> float | None:
        """Record a retrain of ``event.model`` unless another was recorded within
        ``cooldown`` seconds (then return its time)."""
        return self._backend.transaction(lambda c: claim_retrain(c, event, cooldown))
