"""What the PostgreSQL store adds to the contract: the same answers as SQLite on awkward
data, many writer processes, dropped connections, schema versions, clear errors."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
import time

import psycopg
import pytest

from nbtrack.entities import Metric, Run, RunStatus
from nbtrack.errors import StoreError, StoreVersionError
from nbtrack.filters import parse_filter, parse_order_by
from nbtrack.ids import new_run_id
from nbtrack.store import open_store
from nbtrack.store.contract import Op
from nbtrack.store.pg_schema import PG_LATEST_VERSION, PG_MIGRATIONS
from nbtrack.store.schema import LATEST_VERSION, apply_migrations

_VALUES = ["rf", "RF", "Rf", "r_f", "r%f", "C:\\temp", "a\\_b", "", " x", "é", "Z", None,
           True, False, 0, 1, -1, 1.0, 0.5, 1e-05, 10, 2**40, 2**70, math.nan, math.inf,
           -math.inf, -0.0, [1, 2], {"a": 1}, "10", "9", "1e-05"]

_FILTERS = [
    "params.p = 'rf'", "params.p != 'rf'", "params.p LIKE 'r%'", "params.p LIKE 'r_f'",
    "params.p LIKE 'C:\\temp'", "params.p LIKE '%\\_%'", "params.p ILIKE 'r%'",
    "params.p NOT LIKE 'r%'", "params.p > 'Q'", "params.p < 'a'", "params.p >= ''",
    "params.p > 0", "params.p >= 1", "params.p < 1", "params.p = 1", "params.p != 1",
    "params.p > '9'", "params.p IN ('rf', 'RF', 1)", "params.p NOT IN ('rf', 0.5)",
    "params.p = 'None'", "params.p = 'True'", "params.p = 'nan'", "params.p = 'inf'",
    "params.p = '[1, 2]'", "params.p IS NULL", "params.p IS NOT NULL",
    "metrics.m > 0", "metrics.m != 0", "metrics.m NOT IN (0.5, 1)", "metrics.m <= -1e300",
    "tags.t = 'rf'", "tags.t LIKE 'R%'", "tags.t != 'b'", "name ILIKE 'RUN1%'",
    "params.p > 0 and tags.t != 'rf'", "params.p = 'rf' or metrics.m > 0.5",
]
_BOUNDED = [("metrics.m > 0", "metrics.m DESC"), ("metrics.m >= 0.25", "metrics.m"),
            ("metrics.m = 0.5", "metrics.m DESC, name"),
            ("metrics.m > -1e300 and params.p != 'rf'", "metrics.m DESC, params.p"),
            ("tags.t != 'x' and metrics.m < 1", "metrics.m ASC, tags.t DESC")]
_ORDERS = ["params.p", "params.p DESC", "metrics.m", "metrics.m DESC", "tags.t",
           "tags.t DESC, name", "name DESC"]


def _fill(store) -> None:
    t0 = 1_800_000_000.0
    for i, value in enumerate(_VALUES):
        run = Run(new_run_id(t0 + i), experiment="e", name=f"run{i}", start_time=t0 + i,
                  params={"p": value}, tags={"t": str(value)})
        store.create_run(run)
        number = value if isinstance(value, float) else float(i % 5) / 4
        store.log_batch(run.run_id, metrics=[Metric("m", number, 0, t0 + i)])
        store.end_run(run.run_id, RunStatus.FINISHED, t0 + i + 1)


def _names(store, text: str | None, order: str | None) -> list[str]:
    table = store.search(parse_filter(text) if text else None, parse_order_by(order))
    return table.base["name"]


def test_filters_and_orders_give_the_same_runs_as_sqlite(tmp_path, postgres_uri):
    sqlite, pg = open_store(str(tmp_path / "s")), open_store(postgres_uri)
    for store in (sqlite, pg):
        _fill(store)
    for text in _FILTERS:
        assert _names(pg, text, None) == _names(sqlite, text, None), text
        assert pg.count(parse_filter(text)) == sqlite.count(parse_filter(text)), text
    for order in _ORDERS:
        assert _names(pg, None, order) == _names(sqlite, None, order), order
    # a filter bounding the metric it is ordered by is written to walk that metric's
    # index: the same runs, in the same order (ties by start time), paged the same
    for text, order in _BOUNDED:
        for limit, offset in ((None, 0), (3, 0), (3, 2)):
            where, keys = parse_filter(text), parse_order_by(order)
            assert pg.search(where, keys, limit=limit, offset=offset).base["name"] == \
                sqlite.search(where, keys, limit=limit, offset=offset).base["name"], text
    ordered = _names(pg, None, "params.p")
    assert ordered[:4] == ["run25", "run16", "run26", "run14"]  # -inf, -1, -0.0, 0
    assert ordered.index("run22") == ordered.index("run24") - 1  # 2**70, then inf
    for a, b in zip(pg.search().records(), sqlite.search().records(), strict=True):
        a.pop("run_id"), b.pop("run_id")
        assert repr(a) == repr(b)  # repr: NaN equals itself there, and types show


_WRITER = textwrap.dedent("""
    import sys
    import nbtrack
    worker = int(sys.argv[1])
    nbtrack.set_experiment("shared")   # every process creates the same experiment
    for i in range(int(sys.argv[2])):
        with nbtrack.start_run(name=f"w{worker}-{i}", params={"worker": worker, "i": i}):
            nbtrack.log_metrics({"a": i, "b": worker})
    print("ok", worker)
""")


@pytest.mark.slow
def test_sixteen_processes_by_250_runs(postgres_uri, python_env):
    python_env["NBTRACK_STORE"] = postgres_uri
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(w), "250"], env=python_env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for w in range(16)]
    results = [p.communicate(timeout=280) for p in procs]
    errors = [err for (_, err) in results if err.strip()]
    assert [p.returncode for p in procs] == [0] * 16, errors
    assert errors == []
    store = open_store(postgres_uri)
    assert store.count() == 4000
    assert store.experiments() == ["shared"]
    table = store.search()
    assert len(set(table.run_ids)) == 4000 and set(table.base["status"]) == {"FINISHED"}
    assert len(set(zip(table.params["worker"], table.params["i"]))) == 4000
    assert sorted(set(table.metrics["b"])) == list(range(16))
    store.close()


def _terminate_nbtrack_connections(uri: str) -> list[int]:
    database = uri.rsplit("/", 1)[1]
    with psycopg.connect(uri, autocommit=True) as admin:
        return [pid for (pid, done) in admin.execute(
            "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
            "AND application_name = 'nbtrack' AND pid <> pg_backend_pid()", (database,))
            if done]


def test_a_connection_killed_mid_run_is_retried_and_the_run_lands_once(postgres_uri):
    store = open_store(postgres_uri)
    run = Run(new_run_id(), experiment="e", start_time=time.time())
    store.create_run(run)
    for step in range(50):
        store.log_metric_point(run.run_id, "loss", 1.0 / (step + 1), step, time.time())
    store.flush()
    for step in range(50, 120):
        store.log_metric_point(run.run_id, "loss", 1.0 / (step + 1), step, time.time())
    store.log_batch(run.run_id, params=[("lr", 0.1)], tags=[("note", "after the kill")])
    assert _terminate_nbtrack_connections(postgres_uri), "the store had a connection to kill"
    store.end_run(run.run_id, RunStatus.FINISHED, time.time())
    history = store.metric_history(run.run_id, "loss")
    assert [m.step for m in history] == list(range(120))
    got = store.get_run(run.run_id)
    assert got.status is RunStatus.FINISHED and got.params == {"lr": 0.1}
    assert got.tags == {"note": "after the kill"} and store.count() == 1
    store.close()


def test_a_batch_retried_after_its_commit_is_skipped(postgres_uri):
    # a commit whose answer was lost is retried with the same batch id
    store = open_store(postgres_uri)
    run = Run(new_run_id(), experiment="e", start_time=time.time())
    store.create_run(run)
    store.flush()
    ops = [Op("points", run.run_id, [("x", 1.0, 0, 1.0), ("x", 2.0, 1, 2.0)])]
    store.backend._apply_batch("batch-1", ops)
    store.backend._apply_batch("batch-1", ops)
    assert [m.value for m in store.metric_history(run.run_id, "x")] == [1.0, 2.0]
    store.backend._apply_batch("batch-2", ops)
    assert len(store.metric_history(run.run_id, "x")) == 4
    store.close()


def test_heartbeats_use_the_servers_clock(postgres_uri):
    store = open_store(postgres_uri)
    now = time.time()
    # a run of another host whose clock is an hour behind: its heartbeat still counts
    run = Run(new_run_id(), experiment="e", start_time=now - 3600, host="elsewhere", pid=1,
              heartbeat=now - 3600)
    store.create_run(run)
    store.flush()
    store.buffer.open_runs.clear()
    store.backend.apply([Op("heartbeat", run.run_id, now - 3600)])
    assert store.reap_dead_runs() == []
    store.backend.transaction(lambda c: c.execute(
        "UPDATE runs SET heartbeat = heartbeat - 1000 WHERE run_id = ?", (run.run_id,)))
    assert store.reap_dead_runs() == [run.run_id]
    assert store.get_run(run.run_id).status is RunStatus.KILLED
    store.close()


def test_schema_version_matches_sqlite_and_a_newer_one_is_refused(postgres_uri):
    store = open_store(postgres_uri)
    assert store.schema_version() == PG_LATEST_VERSION == LATEST_VERSION
    store.backend.transaction(lambda c: c.execute("UPDATE nbtrack_schema SET version = 99"))
    store.close()
    with pytest.raises(StoreVersionError):
        open_store(postgres_uri)


def test_a_forward_migration_keeps_the_runs(postgres_uri):
    store = open_store(postgres_uri)
    run = Run(new_run_id(), experiment="e", start_time=time.time(), params={"C": 1})
    store.create_run(run)
    store.end_run(run.run_id, RunStatus.FINISHED, time.time())
    later = PG_MIGRATIONS + [(PG_LATEST_VERSION + 1, ["ALTER TABLE runs ADD COLUMN note text"])]
    store.backend.transaction(lambda c: apply_migrations(c, later))
    assert store.schema_version() == PG_LATEST_VERSION + 1
    assert store.get_run(run.run_id).params == {"C": 1}
    store.close()


_OPEN = "import sys; from nbtrack.store import open_store; open_store(sys.argv[1]); print('ok')"


@pytest.mark.slow
def test_concurrent_first_open_creates_one_schema(postgres_server, python_env):
    uri = postgres_server.new_database(schema=False)
    try:
        procs = [subprocess.Popen([sys.executable, "-c", _OPEN, uri], env=python_env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(8)]
        outs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), [e for _, e in outs]
        store = open_store(uri)
        rows = store.backend.read(lambda c: c.execute("SELECT version FROM nbtrack_schema")
                                  .fetchall())
        assert rows == [(PG_LATEST_VERSION,)]
        store.close()
    finally:
        postgres_server.drop_database(uri)


def test_the_password_is_masked_in_the_stores_uri(postgres_uri):
    host, database = postgres_uri.split("@", 1)
    with_password = f"{host}:s3cret@{database}"  # trust authentication ignores it
    store = open_store(with_password)
    assert store.uri == f"{host}:***@{database}"
    store.close()


def test_an_unreachable_server_is_one_clear_error_without_the_password(postgres_server):
    uri = f"postgresql://nbtrack:s3cret@127.0.0.1:{postgres_server.port}/no_such_database"
    with pytest.raises(StoreError, match="cannot connect to postgresql://nbtrack:\\*\\*\\*@") \
            as info:
        open_store(uri)
    assert "s3cret" not in str(info.value) and "\n" not in str(info.value)


def test_importing_nbtrack_does_not_import_psycopg(python_env):
    code = ("import sys, nbtrack, nbtrack.store, nbtrack.cli\n"
            "print(sorted(m for m in sys.modules if m.startswith('psycopg')))")
    out = subprocess.run([sys.executable, "-c", code], env=python_env, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_bulk_import_leaves_the_planner_statistics_of_what_it_wrote(postgres_uri):
    store = open_store(postgres_uri)
    try:
        now = time.time()
        store.bulk_import(Run(new_run_id(now + i), experiment="bulk", status=RunStatus.FINISHED,
                              start_time=now + i, end_time=now + i + 1, params={"model": "rf"},
                              metrics={"acc": i / 500}) for i in range(500))
        estimated = dict(store.backend.read(lambda c: c.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relname IN "
            "('runs', 'params', 'latest_metrics')").fetchall()))
        assert estimated == {"runs": 500, "params": 500, "latest_metrics": 500}
    finally:
        store.close()


def test_rows_written_together_land_as_they_would_one_by_one(postgres_uri):
    # many rows go as one multi-row statement; a key repeated in a batch splits it, so
    # the later value wins exactly as row-by-row execution would decide
    store = open_store(postgres_uri)
    try:
        run = Run(new_run_id(), experiment="e", start_time=time.time())
        now = time.time()
        store.backend.apply([
            Op("create_run", run.run_id, (run, {}, None)),
            Op("tags", run.run_id, [("a", "1"), ("b", "2"), ("a", "3")]),
            Op("params", run.run_id, [(f"p{i}", i) for i in range(1200)] + [("p7", "late")]),
            Op("points", run.run_id, [("loss", 0.5, 3, now), ("loss", 0.9, 1, now + 1),
                                      ("acc", 0.1, 0, now), ("acc", 0.2, 0, now + 1)])])
        got = store.get_run(run.run_id)
        assert got.tags == {"a": "3", "b": "2"}
        assert len(got.params) == 1200 and got.params["p7"] == "late"
        assert got.params["p1199"] == 1199
        assert got.metrics == {"loss": 0.5, "acc": 0.2}
        assert [m.value for m in store.metric_history(run.run_id, "loss")] == [0.9, 0.5]
    finally:
        store.close()


def test_a_search_ordered_by_a_metric_its_filter_bounds_walks_that_metric():
    from nbtrack.store.pg_sql import POSTGRES
    from nbtrack.store.sql import build_query

    def sql(text, order, d=POSTGRES):
        return build_query(parse_filter(text), parse_order_by(order), None, 100, 0, "r.run_id",
                           lambda _sql, _args: 1, d)

    driven, args = sql("metrics.acc > 0.9 and params.model = 'rf'", "metrics.acc DESC")
    assert "JOIN latest_metrics o0 ON o0.run_id = r.run_id AND o0.key = ?" in driven
    assert "LEFT JOIN" not in driven and "o0.value > ?" in driven
    assert driven.endswith("ORDER BY o0.value DESC, r.start_time DESC, r.run_id DESC "
                           "LIMIT ? OFFSET ?")
    assert args == ["acc", 0.9, "model", "rf", 100, 0]
    # ordered by another key, or not bounded: the general form
    assert "LEFT JOIN" in sql("metrics.acc > 0.9", "metrics.loss DESC")[0]
    assert "LEFT JOIN" in sql("metrics.acc != 0.9", "metrics.acc DESC")[0]
    assert "LEFT JOIN" in sql("metrics.acc > 0.9 or params.model = 'rf'", "metrics.acc")[0]


def _canonical(table) -> list[str]:
    # key order inside a run's dicts follows column creation, which differs between reads
    out = []
    for record in table.records():
        for section in ("params", "metrics", "tags"):
            record[section] = sorted(record[section].items())
        out.append(repr(record))  # repr: NaN equals itself there, and types show
    return out


def test_a_page_read_in_one_statement_equals_its_key_tables_read_apart(tmp_path, postgres_uri):
    from nbtrack.store.pg_sql import POSTGRES
    from nbtrack.store.reads import RUN_COLUMNS, read_table
    from nbtrack.store.sql import build_query

    sqlite, pg = open_store(str(tmp_path / "s")), open_store(postgres_uri)
    t0 = 1_800_000_000.0
    for store in (sqlite, pg):
        for i, value in enumerate(_VALUES):
            # some runs without params, metrics or tags; keys only some runs have
            params = {} if i % 7 == 3 else {"p": value, f"only{i % 3}": i, "q'\"": str(value)}
            tags = {} if i % 5 == 1 else {"t": str(value), "x,y": "{1,2}", "n": "NULL"}
            run = Run(f"r-{i:012d}", experiment=f"e{i % 2}", name=None if i % 4 else f"run{i}",
                      start_time=t0 + i // 2, params=params, tags=tags)
            store.create_run(run)
            number = value if isinstance(value, float) else float(i % 5) / 4
            if i % 6 != 2:
                store.log_batch(run.run_id, metrics=[Metric("m", number, 0, t0 + i),
                                                     Metric("big", 2.0**1000, 1, t0 + i),
                                                     Metric("m", number, 1, t0 + i + 1)])
            if i % 3:
                store.end_run(run.run_id, RunStatus.FINISHED, t0 + i + 1)
    backend = pg.backend
    cases = [("attributes.run_id LIKE 'r-%'", "params.p", None, 0),
             ("metrics.m > -1e300", "metrics.m DESC", 7, 3),
             ("params.p IS NOT NULL or tags.t IS NULL", "tags.t DESC", None, 0),
             ("tags.n = 'NULL' and metrics.big > 0", "metrics.m", 5, 0),
             (None, "start_time DESC", 10, 20), (None, None, 1000, 0)]
    for text, order, limit, offset in cases:
        where, keys = parse_filter(text) if text else None, parse_order_by(order)
        one = pg.search(where, keys, limit=limit, offset=offset)
        sql, args = build_query(where, keys, None, limit, offset, RUN_COLUMNS,
                                backend._count_capped, POSTGRES)
        apart = backend._snapshot(lambda c, sql=sql, args=args: read_table(
            c, c.execute(sql, args).fetchall(), False, POSTGRES))
        assert _canonical(one) == _canonical(apart), text
        assert _canonical(one) == _canonical(
            sqlite.search(where, keys, limit=limit, offset=offset)), text
    assert len(pg.search(parse_filter("metrics.m > -1e300"), limit=1000)) == 25  # not NaN, -inf
    for store in (sqlite, pg):
        store.close()


def test_postgres_leaves_the_driving_condition_to_its_planner():
    from nbtrack.store.pg_sql import POSTGRES
    from nbtrack.store.sql import build_query

    def no_count(sql, args):
        raise AssertionError("a capped count was run")

    where = parse_filter("params.model = 'rf' and metrics.acc > 0.5 and tags.t = 'x'")
    sql, _ = build_query(where, parse_order_by("name"), None, 10, 0, "r.run_id", no_count,
                         POSTGRES)
    assert sql.count("r.run_id IN (SELECT run_id FROM") == 3


def test_a_failed_batch_writes_nothing_and_can_be_applied_again(postgres_uri):
    store = open_store(postgres_uri)
    try:
        run = Run(new_run_id(), experiment="e", start_time=time.time())
        store.create_run(run)
        store.flush()
        again = Op("create_run", run.run_id, (run, {}, None))  # its id is taken
        points = Op("points", run.run_id, [("x", 1.0, 0, 1.0)])
        with pytest.raises(StoreError):
            store.backend._apply_batch("batch-1", [points, again])
        assert store.metric_history(run.run_id, "x") == []
        store.backend._apply_batch("batch-1", [points])  # the failed attempt left no id
        assert [m.value for m in store.metric_history(run.run_id, "x")] == [1.0]
        idle = store.backend.read(lambda c: c.raw.info.transaction_status)
        assert idle == psycopg.pq.TransactionStatus.IDLE
    finally:
        store.close()



def test_reads_are_never_prepared_so_each_is_planned_for_its_values(postgres_uri):
    # psycopg prepares a statement after five runs in a connection, and PostgreSQL may
    # then switch it to a generic plan, which for a search can walk a whole table
    store = open_store(postgres_uri)
    try:
        where = parse_filter("params.model = 'rf'")
        for _ in range(12):
            assert len(store.search(where, limit=5)) == 0
            assert store.count(where) == 0
        prepared = store.backend.read(lambda c: c.execute(
            "SELECT count(*) FROM pg_prepared_statements").fetchone()[0])
        assert prepared == 0
    finally:
        store.close()
