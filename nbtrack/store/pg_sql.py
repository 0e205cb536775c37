"""PostgreSQL's side of the shared SQL: its dialect and a connection speaking ``?``.

The shared statements (reads, writes, filters, registry) are written with ``?``
placeholders and no literal ``?`` or ``%``; :class:`PgConnection` rewrites them
to psycopg's ``%s``. Nothing here imports psycopg.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable

from .codec import decode_param, encode_param, param_text
from .dialect import Dialect, Rows

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresDialect", "POSTGRES", "PAGE_COLUMNS", "page_sql", "PgConnection",
           "translate"]

_INT, _FLOAT = 1, 2  # the vtypes of codec.encode_param


class PostgresDialect(Dialect):
    """How the PostgreSQL schema (:mod:`nbtrack.store.pg_schema`) differs from SQLite's."""

    true = "TRUE"
    false = "FALSE"
    no_limit = None
    param_number = "num"
    param_number_guard = ""  # num holds numbers only
    # SQLite's text values differ from every number; value is NULL where SQLite's is
    param_not_number = " OR (num IS NULL AND value IS NOT NULL)"
    ids_scope = " WHERE run_id = ANY(?)"
    drive_by_order = True
    choose_driver = False
    params_insert = (
        "INSERT INTO params (run_id, key, value, vtype, text, shown, num) "
        "VALUES (?,?,?,?,?,?,?) ON CONFLICT (run_id, key) DO UPDATE SET "
        "value = excluded.value, vtype = excluded.vtype, text = excluded.text, "
        "shown = excluded.shown, num = excluded.num")
    native_params = False
    server_clock = "extract(epoch FROM clock_timestamp())::float8"

    def ids_arg(self, run_ids: list[str]) -> Any:
        """A list, bound as a text array."""
        return run_ids

    def like(self, column: str, negated: bool, pattern: str = "?") -> str:
        """``LIKE`` without PostgreSQL's default backslash escape (SQLite has none)."""
        return f"{super().like(column, negated, pattern)} ESCAPE ''"

    def param_row(self, run_id: str, key: str, value: Any) -> tuple[Any, ...]:
        """``(run_id, key, value text, vtype, exact text, shown, num)``."""
        stored, vtype, text = encode_param(value)
        number = float(stored) if vtype in (_INT, _FLOAT) and stored is not None else None
        as_text = stored if stored is None or isinstance(stored, str) else repr(stored)
        return (run_id, key, as_text, vtype, text, param_text(value), number)

    def param_value(self, value: Any, vtype: int, text: str | None) -> Any:
        """The Python value of a param row (numbers come back from their text)."""
        if text is None and value is not None:
            if vtype == _INT:
                return int(value)
            if vtype == _FLOAT:
                return float(value)
        return decode_param(value, vtype, text)

    def param_order(self, alias: str, direction: str) -> str:
        """Numbers by value, then the rest by their text (SQLite orders every number
        before every text value, and the reverse when descending)."""
        nulls = "LAST" if direction == "ASC" else "FIRST"
        return (f"{alias}.num {direction} NULLS {nulls}, "
                f"CASE WHEN {alias}.num IS NULL THEN {alias}.shown END {direction}")


#: The PostgreSQL store's dialect.
POSTGRES = PostgresDialect()

#: The run columns a page selects (see :func:`page_sql`), in :func:`~nbtrack.store.reads.
#: read_page`'s order.
PAGE_COLUMNS = ("r.run_id, e.name AS experiment, r.name, r.status, r.start_time, r.end_time, "
                "r.cell_id, r.parent_run_id")


def page_sql(numbered: str) -> str:
    """One statement giving a page of runs with their params, latest metrics and tags.

    ``numbered`` is the search's SELECT of :data:`PAGE_COLUMNS` with its ``position``
    column (:func:`~nbtrack.store.sql.build_query` with ``numbered``). Each run's key
    rows come as parallel arrays, aggregated for the page's rows only (after its limit),
    so a page costs one round trip and no row per key value.
    """
    return (
        "SELECT q.run_id, q.experiment, q.name, q.status, q.start_time, q.end_time, "
        "q.cell_id, q.parent_run_id, p.k, p.v, p.t, p.x, m.k, m.v, m.x, t.k, t.v "
        f"FROM ({numbered}) q "
        "LEFT JOIN LATERAL (SELECT array_agg(key) k, array_agg(value) v, array_agg(vtype) t, "
        "array_agg(text) x FROM params WHERE run_id = q.run_id) p ON TRUE "
        "LEFT JOIN LATERAL (SELECT array_agg(key) k, array_agg(value) v, array_agg(exact) x "
        "FROM latest_metrics WHERE run_id = q.run_id) m ON TRUE "
        "LEFT JOIN LATERAL (SELECT array_agg(key) k, array_agg(value) v FROM tags "
        "WHERE run_id = q.run_id) t ON TRUE "
        "ORDER BY q.position")


@lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """``sql`` with ``?`` placeholders as psycopg's ``%s`` (and ``%`` escaped)."""
    return sql.replace("%", "%%").replace("?", "%s")


class PgConnection:
    """A psycopg connection as the shared SQL expects one (see the module docstring).

    Parameters
    ----------
    raw : psycopg.Connection
        The connection, inside the caller's transaction or in autocommit.
    prepare : bool, optional
        None: psycopg prepares a statement once it has run five times in the connection
        (writes: their plans do not depend on the values). False: never, so each run is
        planned for its values; reads need that, since after five runs of a prepared
        statement PostgreSQL may switch to a plan made without them, which for a search
        can walk a whole table (a 50-run page of a 300,000-run store: 1.3 ms planned for
        its values, 180 ms generic).
    """

    def __init__(self, raw: psycopg.Connection[Any], prepare: bool | None = None) -> None:
        self.raw = raw
        self.prepare = prepare

    def execute(self, sql: str, parameters: Any = (), /) -> psycopg.Cursor[Any]:
        """Run one statement; its cursor holds the rows."""
        return self.raw.execute(translate(sql), parameters, prepare=self.prepare)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Rows:
        """Run one statement for each parameter tuple, in order.

        A few rows of an ``INSERT ... VALUES (?, ...)`` go as one multi-row statement
        (one round trip instead of a pipeline's entry, rows and exit); rows are split
        where a conflict key repeats, so every upsert sees the rows before it exactly as
        row-by-row execution would. Larger batches go through psycopg's executemany:
        psycopg parses (and caches) a statement's text only up to
        :data:`_PARAMS_PER_STATEMENT` parameters, and parsing a statement of thousands
        of placeholders costs more than the round trips it saves.
        """
        rows = [tuple(p) for p in parameters]
        cursor = self.raw.cursor()
        shape = _multi_row_shape(sql)
        width = 0 if shape is None else shape[1].count("?")
        if shape is None or len(rows) * width > _PARAMS_PER_STATEMENT:
            cursor.executemany(translate(sql), rows)
            return cursor
        head, group, tail, key_at = shape
        for chunk in _chunks(rows, key_at):
            cursor.execute(translate(f"{head} {', '.join([group] * len(chunk))}{tail}"),
                           [value for row in chunk for value in row])
        return cursor


#: Most parameters of a multi-row INSERT: psycopg caches the parsed text of statements
#: with at most 50 parameters and parses longer ones on every call.
_PARAMS_PER_STATEMENT = 50
_INSERT = re.compile(r"^(INSERT INTO \w+(?:\s*\(([^)]*)\))?\s+VALUES)\s*(\([?,\s]+\))(.*)$",
                     re.S)
_CONFLICT_KEY = re.compile(r"ON CONFLICT \(([^)]*)\)\s*DO UPDATE")


@lru_cache(maxsize=64)
def _multi_row_shape(sql: str) -> tuple[str, str, str, tuple[int, ...] | None] | None:
    """(``INSERT ... VALUES``, the ``(?, ...)`` group, the rest, the positions of the
    conflict key of an upsert) of an insert that can take many rows, else None."""
    match = _INSERT.match(sql.strip())
    if match is None:
        return None
    head, columns, group, tail = match.groups()
    key = _CONFLICT_KEY.search(tail)
    if key is None:
        return head, group, tail, None
    if columns is None:
        return None  # an upsert needs its column list to find the key in each row
    names = [c.strip() for c in columns.split(",")]
    return head, group, tail, tuple(names.index(k.strip()) for k in key.group(1).split(","))


def _chunks(rows: list[tuple[Any, ...]],
            key_at: tuple[int, ...] | None) -> Iterable[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    keys: set[tuple[Any, ...]] = set()
    for row in rows:
        key = None if key_at is None else tuple(row[i] for i in key_at)
        if key is not None and key in keys:
            yield chunk
            chunk, keys = [], set()
        chunk.append(row)
        if key is not None:
            keys.add(key)
    if chunk:
        yield chunk
