"""Turn filter and order syntax trees into parameterised SQL.

Every value reaches the database as a bound parameter; only field kinds,
operators and column names from fixed tables are written into the SQL text.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from ..entities import RunStatus
from ..errors import FilterSyntaxError
from ..filters import BoolOp, Comparison, Node, OrderKey
from .dialect import SQLITE, Dialect

__all__ = ["compile_where", "compile_order", "subquery", "most_selective", "build_query",
           "COUNT"]

#: The column list :func:`build_query` takes to count instead of listing.
COUNT = "count(*)"
#: Counting how selective a condition is stops here.
ESTIMATE_CAP = 5000

_ATTRIBUTE_SQL = {
    "run_id": "r.run_id",
    "name": "r.name",
    "status": "r.status",
    "start_time": "r.start_time",
    "end_time": "r.end_time",
    "duration": "(r.end_time - r.start_time)",
    "experiment": "e.name",
    "cell_id": "r.cell_id",
    "parent_run_id": "r.parent_run_id",
}
_NUMERIC_ATTRIBUTES = {"start_time", "end_time", "duration"}
_SIMPLE_OPS = {"=", "!=", "<", "<=", ">", ">="}
_KEYED_TABLES = {"metrics": "latest_metrics", "params": "params", "tags": "tags"}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text_test(column: str, op: str, value: Any, args: list[Any], d: Dialect) -> str:
    """SQL for comparing a text column with quoted literals (kept exactly as typed)."""
    if op in ("ILIKE", "NOT ILIKE"):
        args.append(str(value))
        return d.like(f"lower({column})", op.startswith("NOT"), "lower(?)")
    if op in ("LIKE", "NOT LIKE"):
        args.append(str(value))
        return d.like(column, op.startswith("NOT"))
    if op in ("IN", "NOT IN"):
        args.extend(str(v) for v in value)
        marks = ",".join("?" * len(value))
        return f"{column} {op} ({marks})"
    args.append(str(value))
    return f"{column} {op} ?"


def _number_test(column: str, op: str, value: Any, args: list[Any]) -> str:
    """SQL for comparing a numeric column; a NULL there is NaN, which differs from every
    number (so ``!=`` and ``NOT IN`` hold for it) and is neither above nor below any."""
    if op in ("IN", "NOT IN"):
        args.extend(float(v) for v in value)
        test = f"{column} {op} ({','.join('?' * len(value))})"
        return f"({test} OR {column} IS NULL)" if op == "NOT IN" else test
    args.append(float(value))
    return f"({column} != ? OR {column} IS NULL)" if op == "!=" else f"{column} {op} ?"


def _as_number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if number == number else None


def _param_test(op: str, value: Any, args: list[Any], d: Dialect) -> str:
    """Params: a quoted literal is compared with the param's text as MLflow holds it
    (``shown``, ``str(value)``); an unquoted number with the typed ``value``.

    Ranges are typed too: ``params.C > 5`` and ``params.C > '5'`` compare numbers
    (SQLite orders every number before every text value, so a numeric range is
    bounded above by ``''``); a range with non-numeric text compares the text.
    """
    if op in ("IN", "NOT IN"):
        texts = [str(v) for v in value if not _is_number(v)]
        numbers = [float(v) for v in value if _is_number(v)]
        tests = []
        if texts:
            args.extend(texts)
            tests.append(f"shown IN ({','.join('?' * len(texts))})")
        if numbers:
            args.extend(numbers)
            tests.append(f"coalesce({d.param_number} IN ({','.join('?' * len(numbers))}), "
                         f"{d.false})")
        either = " OR ".join(tests)
        return f"NOT ({either})" if op == "NOT IN" else f"({either})"
    if op in ("<", "<=", ">", ">="):
        number = float(value) if _is_number(value) else _as_number(str(value))
        if number is not None:
            args.append(number)
            test = f"{d.param_number} {op} ?"
            return test + d.param_number_guard if op[0] == ">" else test
        args.append(str(value))
        return f"shown {op} ?"
    if _is_number(value):
        args.append(float(value))
        if op == "!=":
            return f"({d.param_number} != ?{d.param_not_number})"
        return f"{d.param_number} {op} ?"
    return _text_test("shown", op, value, args, d)


def _check_statuses(value: Any) -> None:
    known = [status.value for status in RunStatus]
    for wanted in value if isinstance(value, tuple) else (value,):
        if wanted not in known:
            raise FilterSyntaxError(f"no run status {wanted!r}; statuses are "
                                    f"{', '.join(known)} (upper case)")


def _comparison(node: Comparison, args: list[Any], d: Dialect, correlated: bool = False) -> str:
    kind, key, op, value = node.kind, node.key, node.op, node.value
    if kind == "attributes":
        column = _ATTRIBUTE_SQL[key]
        if op in ("IS NULL", "IS NOT NULL"):
            return f"{column} {op}"
        if key in _NUMERIC_ATTRIBUTES:
            values = value if isinstance(value, tuple) else (value,)
            numbers = [float(v) for v in values if _is_number(v)]  # type: ignore[arg-type]
            if len(numbers) < len(values):
                raise FilterSyntaxError(
                    f"attribute {key} is a time in seconds; compare it with a number")
            args.extend(numbers)
            marks = ",".join("?" * len(values))
            return f"{column} {op} ({marks})" if op in ("IN", "NOT IN") else f"{column} {op} ?"
        if key == "status" and op in ("=", "!=", "IN", "NOT IN"):
            _check_statuses(value)
        return _text_test(column, op, value, args, d)
    table = _KEYED_TABLES[kind]
    if op in ("IS NULL", "IS NOT NULL"):
        args.append(key)
        negation = "NOT " if op == "IS NULL" else ""
        return f"r.run_id {negation}IN (SELECT run_id FROM {table} WHERE key = ?)"
    if correlated:
        args.append(key)
        test = _value_test(kind, op, value, args, d)
        return f"EXISTS (SELECT 1 FROM {table} WHERE run_id = r.run_id AND key = ? AND {test})"
    return f"r.run_id IN ({_keyed_select(node, args, d)})"


def _value_test(kind: str, op: str, value: Any, args: list[Any], d: Dialect) -> str:
    """SQL testing the ``value`` column of a metric, param or tag row."""
    if kind == "metrics":
        return _number_test("value", op, value, args)
    if kind == "params":
        return _param_test(op, value, args, d)
    return _text_test("value", op, value, args, d)


def _keyed_select(node: Comparison, args: list[Any], d: Dialect) -> str:
    """``SELECT run_id`` of the runs whose metric, param or tag satisfies ``node``."""
    args.append(node.key)
    test = _value_test(node.kind, node.op, node.value, args, d)
    return f"SELECT run_id FROM {_KEYED_TABLES[node.kind]} WHERE key = ? AND {test}"


def subquery(node: Comparison, args: list[Any], d: Dialect = SQLITE) -> str | None:
    """``SELECT run_id ...`` for a comparison on one key, or None if it has no such form."""
    if node.kind == "attributes" or node.op in ("IS NULL", "IS NOT NULL"):
        return None
    return _keyed_select(node, args, d)


def most_selective(where: Node | None, count: Callable[[str, list[Any]], int],
                   d: Dialect = SQLITE) -> Comparison | None:
    """The key comparison of a top-level ``and`` that matches the fewest runs, by
    ``count(subquery_sql, args)`` (which may stop counting at a cap)."""
    if not isinstance(where, BoolOp) or where.op != "AND":
        return None
    best, best_count = None, None
    for item in where.items:
        if not isinstance(item, Comparison):
            continue
        args: list[Any] = []
        inner = subquery(item, args, d)
        if inner is None:
            continue
        matching = count(inner, args)
        if best_count is None or matching < best_count:
            best, best_count = item, matching
    return best


def compile_where(node: Node | None, args: list[Any], driver: Node | None = None,
                  d: Dialect = SQLITE) -> str:
    """Return a SQL boolean expression for ``node``, appending its parameters to ``args``.

    The expression refers to the run table as ``r`` and experiments as ``e``. When
    ``driver`` is one of the items of a top-level ``and``, it alone is written as an
    ``IN`` list the query starts from; the other items become per-run ``EXISTS``
    checks, so a selective condition is never joined with a huge unselective list.
    """
    if node is None:
        return d.true
    if isinstance(node, BoolOp):
        if node.op == "AND" and driver is not None:
            parts = [_comparison(item, args, d, correlated=item is not driver)
                     if isinstance(item, Comparison) else compile_where(item, args, d=d)
                     for item in node.items]
            return "(" + " AND ".join(parts) + ")"
        return "(" + f" {node.op} ".join(compile_where(item, args, d=d)
                                         for item in node.items) + ")"
    return _comparison(node, args, d)


def compile_order(keys: Sequence[OrderKey], args: list[Any],
                  d: Dialect = SQLITE, first: int = 0) -> tuple[str, str]:
    """Return ``(joins, order_by)`` SQL for the order keys (newest first as tie-break);
    their joined rows are aliased ``o<first>``, ``o<first + 1>``, ..."""
    joins, terms = [], []
    for i, key in enumerate(keys, start=first):
        direction = "DESC" if key.descending else "ASC"
        if key.kind == "attributes":
            column = _ATTRIBUTE_SQL[key.key]
            terms.append(f"{column} IS NULL, {column} {direction}")
            continue
        a = f"o{i}"
        joins.append(f"LEFT JOIN {_KEYED_TABLES[key.kind]} {a} ON {a}.run_id = r.run_id "
                     f"AND {a}.key = ?")
        args.append(key.key)
        if key.kind == "metrics":
            # after every number comes NaN (NULL in the row), then the runs without it
            terms.append(f"{a}.run_id IS NULL, {a}.value IS NULL, {a}.value {direction}")
        elif key.kind == "params":
            # numbers by value, then text as MLflow holds it (None is 'None')
            terms.append(f"{a}.run_id IS NULL, {d.param_order(a, direction)}")
        else:
            terms.append(f"{a}.run_id IS NULL, {a}.value {direction}")
    terms.append("r.start_time DESC, r.run_id DESC")
    return " ".join(joins), ", ".join(terms)


_RANGES = ("<", "<=", ">", ">=", "=")


def order_bound(where: Node | None, order_by: Sequence[OrderKey]) -> Comparison | None:
    """The range test on the first order key's metric that the filter requires of every
    run (alone, or an item of a top-level ``and``), or None.

    Every run such a search returns has that metric as a number, so the search can walk
    the metric's index in the order asked and stop at the limit.
    """
    if not order_by or order_by[0].kind != "metrics":
        return None
    items = where.items if isinstance(where, BoolOp) and where.op == "AND" else [where]
    for item in items:
        if isinstance(item, Comparison) and item.kind == "metrics" and \
                item.key == order_by[0].key and item.op in _RANGES:
            return item
    return None


def _order_driven(where: Node | None, bound: Comparison, order_by: Sequence[OrderKey],
                  join_args: list[Any], where_args: list[Any],
                  d: Dialect) -> tuple[str, str, str]:
    """``(joins, order_by, condition)`` of a search driven by its first order key (see
    :func:`order_bound`): that metric joined, not left-joined, and tested in place."""
    rest_args: list[Any] = []
    rest_joins, rest_order = compile_order(order_by[1:], rest_args, d, first=1)
    join_args += [order_by[0].key, *rest_args]
    joins = (f"JOIN latest_metrics o0 ON o0.run_id = r.run_id AND o0.key = ? {rest_joins}")
    direction = "DESC" if order_by[0].descending else "ASC"
    parts = [_number_test("o0.value", bound.op, bound.value, where_args)]
    others = where.items if isinstance(where, BoolOp) and where.op == "AND" else []
    for item in others:
        if item is bound:
            continue
        parts.append(_comparison(item, where_args, d, correlated=True)
                     if isinstance(item, Comparison) else compile_where(item, where_args, d=d))
    return joins, f"o0.value {direction}, {rest_order}", "(" + " AND ".join(parts) + ")"


def build_query(where: Node | None, order_by: Sequence[OrderKey], experiment: str | None,
                limit: int | None, offset: int, columns: str,
                count: Callable[[str, list[Any]], int], d: Dialect = SQLITE,
                numbered: bool = False) -> tuple[str, list[Any]]:
    """The SELECT of a search (or, with :data:`COUNT` as ``columns``, of a count) and its
    parameters; ``count`` counts a subquery's rows (see :func:`most_selective`), where
    the dialect has the driving condition chosen by counting.

    ``numbered`` adds a last column ``position``: each row's place in the search's order
    (from 1, counted before the offset), for a query that wraps this one and must keep
    its order.
    """
    join_args: list[Any] = []
    where_args: list[Any] = []
    bound = order_bound(where, order_by) if d.drive_by_order and columns != COUNT else None
    if bound is not None:
        joins, order, condition = _order_driven(where, bound, order_by, join_args,
                                                where_args, d)
    else:
        joins, order = compile_order(order_by, join_args, d)
        driver = most_selective(where, count, d) if d.choose_driver else None
        condition = compile_where(where, where_args, driver, d)
    if experiment is not None:
        condition += " AND e.name = ?"
        where_args.append(experiment)
    if numbered:
        columns += f", row_number() OVER (ORDER BY {order}) AS position"
    sql = (f"SELECT {columns} FROM runs r JOIN experiments e ON e.experiment_id = "
           f"r.experiment_id {joins} WHERE {condition}")
    if columns != COUNT:
        sql += f" ORDER BY {order}"
    args = join_args + where_args
    if limit is not None or offset:
        sql += " LIMIT ? OFFSET ?"
        args += [d.no_limit if limit is None else int(limit), int(offset)]
    return sql, args


def capped_count_sql(sql: str) -> str:
    """A count of ``sql``'s rows that stops at :data:`ESTIMATE_CAP`."""
    return f"SELECT count(*) FROM ({sql} LIMIT {ESTIMATE_CAP}) AS capped"
