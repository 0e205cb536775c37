"""What differs between the SQL backends, kept in one small place.

The reads, writes, filters and registry are written once, in SQL both SQLite
and PostgreSQL accept, with ``?`` placeholders (the PostgreSQL connection
translates them). Where the two differ (how a param is laid out in columns,
``LIKE`` escaping, no-limit, the clock liveness is judged by) a
:class:`Dialect` says so.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Iterator, Protocol

from .codec import decode_param, encode_param, param_text

__all__ = ["Rows", "SQLConnection", "Dialect", "SQLITE"]


class Rows(Protocol):
    """What an executed statement gives back (a DB-API cursor)."""

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...

    @property
    def rowcount(self) -> int:
        """How many rows the statement changed."""


class SQLConnection(Protocol):
    """The part of a DB-API connection the shared SQL uses (``?`` placeholders)."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Rows: ...

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Any: ...


class Dialect:
    """SQLite's answers; :class:`~nbtrack.store.pg_sql.PostgresDialect` overrides them."""

    #: A condition that always holds.
    true = "1"
    #: The LIMIT value that means no limit.
    no_limit: int | None = -1
    #: The column a param's number is compared in (``value``: SQLite keeps numbers as
    #: numbers in the untyped column, and orders every number before every text).
    param_number = "value"
    #: What makes a numeric ``>``/``>=`` on that column skip text values.
    param_number_guard = " AND value < ''"
    #: What else a numeric ``!=`` on that column holds for (in SQLite, every text value).
    param_not_number = ""
    #: A failed ``IN`` on a NULL, as a boolean.
    false = "0"
    #: The rows the key tables are read for, given one bound parameter.
    ids_scope = " WHERE run_id IN (SELECT value FROM json_each(?))"
    #: How a param row is inserted (the order :meth:`param_row` gives).
    params_insert = (
        "INSERT INTO params (run_id, key, value, vtype, text, shown) VALUES (?,?,?,?,?,?) "
        "ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, "
        "vtype = excluded.vtype, text = excluded.text, shown = excluded.shown")
    #: Strings, 64-bit ints and ordinary floats come back from the param columns as they
    #: are (so reading many runs need not decode each one).
    native_params = True
    #: The database's clock in seconds, or None to use this process's (see heartbeats).
    server_clock: str | None = None
    #: Whether a search ordered by a metric its filter bounds is written to walk that
    #: metric's index (PostgreSQL's planner then stops at the limit; SQLite's already
    #: finds that plan from the general form).
    drive_by_order = False
    #: Whether the condition an ``and`` starts from is chosen by counting each one's
    #: matches (capped) first: SQLite's planner has no statistics to choose by, and takes
    #: ``IN`` lists as written; PostgreSQL's turns every ``IN`` into a join it orders
    #: itself, so counting there only adds statements.
    choose_driver = True

    def ids_arg(self, run_ids: list[str]) -> Any:
        """The parameter :attr:`ids_scope` takes."""
        return json.dumps(run_ids)

    def like(self, column: str, negated: bool, pattern: str = "?") -> str:
        """``column LIKE pattern`` with no escape character, as SQLite has by default."""
        return f"{column} {'NOT ' if negated else ''}LIKE {pattern}"

    def param_row(self, run_id: str, key: str, value: Any) -> tuple[Any, ...]:
        """A param's row for :attr:`params_insert`."""
        return (run_id, key, *encode_param(value), param_text(value))

    def param_value(self, value: Any, vtype: int, text: str | None) -> Any:
        """The Python value of a stored param (columns value, vtype, text)."""
        return decode_param(value, vtype, text)

    def param_order(self, alias: str, direction: str) -> str:
        """ORDER BY terms for a param: numbers by value, then text as MLflow holds it."""
        return (f"CASE WHEN typeof({alias}.value) IN ('integer', 'real') THEN {alias}.value "
                f"ELSE {alias}.shown END {direction}")


#: The embedded store's dialect.
SQLITE = Dialect()
