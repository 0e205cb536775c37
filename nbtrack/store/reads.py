"""Reading runs out of SQL rows: one run as an entity, many as columns."""

from __future__ import annotations

import json
from typing import Any, Sequence

from ..entities import Artifact, Run, RunStatus
from .codec import decode_float
from .contract import RunTable
from .dialect import SQLITE, Dialect, SQLConnection

__all__ = ["RUN_COLUMNS", "read_run", "read_table", "read_page"]

#: The run columns every read selects, in the order the functions below unpack them.
RUN_COLUMNS = ("r.run_id, e.name, r.name, r.status, r.start_time, r.end_time, r.cell_id, "
               "r.parent_run_id, r.host, r.pid, r.heartbeat, r.error")


def read_run(c: SQLConnection, run_id: str, d: Dialect = SQLITE) -> Run:
    """One run by full id, with its params, latest metrics, tags and artifacts."""
    row = c.execute(f"SELECT {RUN_COLUMNS} FROM runs r JOIN experiments e "
                    "ON e.experiment_id = r.experiment_id WHERE r.run_id = ?",
                    (run_id,)).fetchone()
    params = {k: d.param_value(v, t, x) for k, v, t, x in c.execute(
        "SELECT key, value, vtype, text FROM params WHERE run_id = ? ORDER BY key",
        (run_id,))}
    metrics = {k: decode_float(v, x) for k, v, x in c.execute(
        "SELECT key, value, exact FROM latest_metrics WHERE run_id = ? ORDER BY key",
        (run_id,))}
    tags = dict(c.execute("SELECT key, value FROM tags WHERE run_id = ? ORDER BY key",
                          (run_id,)).fetchall())
    artifacts = tuple(
        Artifact(n, h, s, k, json.loads(m)) for n, h, s, k, m in c.execute(
            "SELECT name, sha256, size, kind, meta FROM artifacts WHERE run_id = ? "
            "ORDER BY name", (run_id,)))
    return _run_from_row(row, params, metrics, tags, artifacts)


def _run_from_row(row: Sequence[Any], params: dict[str, Any],
                  metrics: dict[str, float], tags: dict[str, str],
                  artifacts: tuple[Artifact, ...]) -> Run:
    (run_id, experiment, name, status, start, end, cell_id, parent, host, pid, beat,
     error) = row
    return Run(run_id=run_id, experiment=experiment, name=name, status=RunStatus(status),
               start_time=start, end_time=end, params=params, metrics=metrics, tags=tags,
               artifacts=artifacts, cell_id=cell_id, parent_run_id=parent, host=host,
               pid=pid, heartbeat=beat, error=error)


_BASE = ("run_id", "experiment", "name", "status", "start_time", "end_time", "cell_id",
         "parent_run_id")
_STR = 0  # the vtype of a param kept as its own text (codec.encode_param)


def read_table(c: SQLConnection, rows: list[Any], whole: bool, d: Dialect = SQLITE) -> RunTable:
    """The runs of ``rows`` (in order) with their params, latest metrics and tags as columns.

    ``whole`` says the rows are every run, so the key tables are read without a filter.
    """
    table = RunTable(base={n: [row[i] for row in rows] for i, n in enumerate(_BASE)})
    if not rows:
        return table
    index = {run_id: i for i, run_id in enumerate(table.base["run_id"])}
    n = len(rows)
    args: tuple[Any, ...]
    if whole:
        scope, args = "", ()
    else:
        scope, args = d.ids_scope, (d.ids_arg(table.base["run_id"]),)
    columns = table.params
    native = d.native_params
    for run_id, key, value, vtype, text in c.execute(
            "SELECT run_id, key, value, vtype, text FROM params" + scope, args):
        column = columns.get(key)
        if column is None:
            column = columns[key] = [None] * n
        # strings, 64-bit ints and ordinary floats come back from SQL as they are
        column[index[run_id]] = value if native and text is None and vtype <= 2 else \
            d.param_value(value, vtype, text)
    columns = table.metrics
    for run_id, key, value, exact in c.execute(
            "SELECT run_id, key, value, exact FROM latest_metrics" + scope, args):
        column = columns.get(key)
        if column is None:
            column = columns[key] = [None] * n
        column[index[run_id]] = value if exact is None else float(exact)
    columns = table.tags
    for run_id, key, value in c.execute("SELECT run_id, key, value FROM tags" + scope, args):
        column = columns.get(key)
        if column is None:
            column = columns[key] = [None] * n
        column[index[run_id]] = value
    return table


def read_page(rows: list[Any], d: Dialect) -> RunTable:
    """The runs of ``rows`` as columns, each row a run's columns followed by its key rows as
    parallel arrays: param keys, values, vtypes and texts; metric keys, values and exact
    texts; tag keys and values (None for a run without any; see
    :func:`~nbtrack.store.pg_sql.page_sql`)."""
    table = RunTable(base={n: [row[i] for row in rows] for i, n in enumerate(_BASE)})
    n = len(rows)
    params, metrics, tags = table.params, table.metrics, table.tags
    for i, row in enumerate(rows):
        keys, values, vtypes, texts, mkeys, mvalues, mexact, tkeys, tvalues = row[8:]
        if keys is not None:
            for key, value, vtype, text in zip(keys, values, vtypes, texts):
                column = params.get(key)
                if column is None:
                    column = params[key] = [None] * n
                column[i] = value if vtype == _STR and text is None else \
                    d.param_value(value, vtype, text)
        if mkeys is not None:
            for key, value, exact in zip(mkeys, mvalues, mexact):
                column = metrics.get(key)
                if column is None:
                    column = metrics[key] = [None] * n
                column[i] = value if exact is None else float(exact)
        if tkeys is not None:
            for key, value in zip(tkeys, tvalues):
                column = tags.get(key)
                if column is None:
                    column = tags[key] = [None] * n
                column[i] = value
    return table
