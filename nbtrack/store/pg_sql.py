"""PostgreSQL's side of the shared SQL: its dialect and a connection speaking ``?``.

The shared statements (reads, writes, filters, registry) are written with ``?``
placeholders and no literal ``?`` or ``%``; :class:`PgConnection` rewrites them
to psycopg's ``%s``. Nothing here imports psycopg.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable

from .codec import decode_param, encode_param, param_text
from .dialect import Dialect, Rows

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresDialect", "POSTGRES", "PgConnection", "translate"]

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
    """

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    def execute(self, sql: str, parameters: Any = (), /) -> psycopg.Cursor[Any]:
        """Run one statement; its cursor holds the rows."""
        return self.raw.execute(translate(sql), parameters)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Rows:
        """Run one statement for each parameter tuple (pipelined by psycopg)."""
        cursor = self.raw.cursor()
        cursor.executemany(translate(sql), parameters)
        return cursor
