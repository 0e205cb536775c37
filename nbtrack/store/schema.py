"""SQL schema of the embedded store and its forward migrations.

Each migration is a list of statements applied in one transaction; the
version lives in ``nbtrack_schema`` (its own table, so another tool's
migration table in the same database can never clash with it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import StoreVersionError

if TYPE_CHECKING:
    from .dialect import SQLConnection

__all__ = ["MIGRATIONS", "LATEST_VERSION", "DB_NAME", "apply_migrations"]

#: The database file of a folder store (beside it, ``artifacts/``).
DB_NAME = "nbtrack.db"

_V1 = [
    """CREATE TABLE experiments (
        experiment_id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created REAL NOT NULL)""",
    """CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
        name TEXT,
        status TEXT NOT NULL,
        start_time REAL NOT NULL,
        end_time REAL,
        cell_id TEXT,
        parent_run_id TEXT,
        host TEXT NOT NULL DEFAULT '',
        pid INTEGER NOT NULL DEFAULT 0,
        heartbeat REAL NOT NULL DEFAULT 0,
        error TEXT)""",
    "CREATE INDEX runs_by_experiment ON runs(experiment_id, start_time)",
    "CREATE INDEX runs_by_start ON runs(start_time)",
    "CREATE INDEX runs_by_cell ON runs(cell_id, start_time)",
    "CREATE INDEX runs_running ON runs(status) WHERE status = 'RUNNING'",
    # value has no declared type, so numbers stay numbers and text stays text and one
    # index serves numeric ranges and text matches (SQLite sorts numbers before text);
    # vtype says which Python type to rebuild; text holds the exact form of the values
    # SQLite cannot keep (NaN, -0.0, integers beyond 64 bits)
    """CREATE TABLE params (
        run_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value,
        vtype INTEGER NOT NULL,
        text TEXT,
        PRIMARY KEY (run_id, key)) WITHOUT ROWID""",
    "CREATE INDEX params_by_value ON params(key, value)",
    # SQLite keeps neither NaN (it becomes NULL) nor the sign of -0.0, so those
    # values are also written exactly as text in `exact`
    """CREATE TABLE metrics (
        run_id TEXT NOT NULL,
        key TEXT NOT NULL,
        step INTEGER NOT NULL,
        value REAL,
        exact TEXT,
        timestamp REAL NOT NULL)""",
    "CREATE INDEX metrics_by_run ON metrics(run_id, key, step)",
    """CREATE TABLE latest_metrics (
        run_id TEXT NOT NULL,
        key TEXT NOT NULL,
        step INTEGER NOT NULL,
        value REAL,
        exact TEXT,
        timestamp REAL NOT NULL,
        PRIMARY KEY (run_id, key)) WITHOUT ROWID""",
    "CREATE INDEX latest_by_value ON latest_metrics(key, value)",
    """CREATE TABLE tags (
        run_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (run_id, key)) WITHOUT ROWID""",
    "CREATE INDEX tags_by_value ON tags(key, value)",
    """CREATE TABLE artifacts (
        run_id TEXT NOT NULL,
        name TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        kind TEXT NOT NULL,
        meta TEXT NOT NULL,
        PRIMARY KEY (run_id, name)) WITHOUT ROWID""",
    "CREATE INDEX artifacts_by_hash ON artifacts(sha256)",
]

_V2 = [
    # environments repeat across runs: store each distinct one once
    """CREATE TABLE environments (
        env_hash TEXT PRIMARY KEY,
        body TEXT NOT NULL) WITHOUT ROWID""",
    "ALTER TABLE runs ADD COLUMN env_hash TEXT",
    """CREATE TABLE run_context (
        run_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (run_id, key)) WITHOUT ROWID""",
]

_V3 = [
    # every param also as MLflow holds it, str(value): quoted literals in filters are
    # compared with this text, so they answer as MLflow does; param_text() is registered
    # on every connection and rebuilds the text of params written before this version
    "ALTER TABLE params ADD COLUMN shown TEXT",
    "UPDATE params SET shown = param_text(value, vtype, text)",
    "CREATE INDEX params_by_shown ON params(key, shown)",
]

_V4 = [
    # the model registry: versions never change after registration (but description and
    # tags); aliases move; every change is appended to registry_events and never removed
    """CREATE TABLE model_versions (
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        run_id TEXT NOT NULL,
        cell_id TEXT,
        artifact TEXT NOT NULL,
        digest TEXT NOT NULL,
        format TEXT NOT NULL,
        created REAL NOT NULL,
        created_by TEXT NOT NULL,
        metrics TEXT NOT NULL,
        inputs TEXT NOT NULL,
        signature TEXT NOT NULL,
        description TEXT,
        tags TEXT NOT NULL,
        PRIMARY KEY (name, version)) WITHOUT ROWID""",
    "CREATE INDEX model_versions_by_run ON model_versions(run_id)",
    """CREATE TABLE model_aliases (
        name TEXT NOT NULL,
        alias TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (name, alias)) WITHOUT ROWID""",
    """CREATE TABLE registry_events (
        event_id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts REAL NOT NULL,
        user TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        op TEXT NOT NULL,
        model TEXT NOT NULL,
        version INTEGER,
        alias TEXT,
        old_value INTEGER,
        new_value INTEGER,
        nbtrack_version TEXT NOT NULL)""",
    "CREATE INDEX registry_events_by_model ON registry_events(model, event_id)",
]

_V5 = [
    # one row per request a model server answered (inputs and predictions kept unless
    # the server was told not to, and only up to its size cap)
    """CREATE TABLE serving_requests (
        request_id TEXT PRIMARY KEY,
        ts REAL NOT NULL,
        model TEXT NOT NULL,
        version INTEGER,
        status INTEGER NOT NULL,
        latency REAL NOT NULL,
        rows INTEGER NOT NULL,
        inputs TEXT,
        predictions TEXT) WITHOUT ROWID""",
    "CREATE INDEX serving_requests_by_model ON serving_requests(model, ts)",
]

_V6 = [
    # the true outcomes of served requests, joined to serving_requests by request_id
    # (a JSON list, one label per row the request predicted); sent again, they replace
    """CREATE TABLE serving_labels (
        request_id TEXT PRIMARY KEY,
        ts REAL NOT NULL,
        labels TEXT NOT NULL) WITHOUT ROWID""",
]

#: (version, statements) in order; a store at version N applies every later one.
MIGRATIONS: list[tuple[int, list[str]]] = [(1, _V1), (2, _V2), (3, _V3), (4, _V4), (5, _V5),
                                           (6, _V6)]
LATEST_VERSION = MIGRATIONS[-1][0]


def apply_migrations(c: SQLConnection, migrations: list[tuple[int, list[str]]]) -> None:
    """Bring the schema in ``nbtrack_schema`` to the last of ``migrations``, inside the
    caller's transaction (which must keep other migrators out)."""
    latest = migrations[-1][0]
    c.execute("CREATE TABLE IF NOT EXISTS nbtrack_schema (version INTEGER NOT NULL)")
    row = c.execute("SELECT version FROM nbtrack_schema").fetchone()
    version = 0 if row is None else row[0]
    if version > latest:
        raise StoreVersionError(version, latest)
    for target, statements in migrations:
        if target > version:
            for statement in statements:
                c.execute(statement)
    if row is None:
        c.execute("INSERT INTO nbtrack_schema VALUES (?)", (latest,))
    elif version < latest:
        c.execute("UPDATE nbtrack_schema SET version = ?", (latest,))
