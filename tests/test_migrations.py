"""The schema migrates forward without loss and refuses stores from the future."""

from __future__ import annotations

import sqlite3

import pytest

from nbtrack.errors import StoreError, StoreVersionError
from nbtrack.filters import parse_filter
from nbtrack.store import open_store
from nbtrack.store.schema import LATEST_VERSION, MIGRATIONS


def make_v1_store(folder):
    folder.mkdir()
    conn = sqlite3.connect(folder / "nbtrack.db")
    conn.execute("CREATE TABLE nbtrack_schema (version INTEGER NOT NULL)")
    for statement in MIGRATIONS[0][1]:
        conn.execute(statement)
    conn.execute("INSERT INTO nbtrack_schema VALUES (1)")
    conn.execute("INSERT INTO experiments VALUES (1, 'old', 0)")
    conn.execute("INSERT INTO runs (run_id, experiment_id, name, status, start_time, end_time) "
                 "VALUES ('r-0000000old01', 1, 'legacy', 'FINISHED', 10, 20)")
    conn.execute("INSERT INTO params VALUES ('r-0000000old01', 'C', 0.5, 2, NULL)")
    conn.execute("INSERT INTO params VALUES ('r-0000000old01', 'opt', NULL, 4, NULL)")
    conn.execute("""INSERT INTO params VALUES ('r-0000000old01', 'grid', '{"a": 1}', 5, NULL)""")
    conn.execute("INSERT INTO latest_metrics VALUES ('r-0000000old01', 'acc', 0, 0.9, NULL, 20)")
    conn.commit()
    conn.close()


def test_v1_store_upgrades_and_keeps_its_runs(tmp_path):
    make_v1_store(tmp_path / "old")
    store = open_store(str(tmp_path / "old"))
    assert store.schema_version() == LATEST_VERSION
    run = store.get_run("r-0000000old01")
    assert (run.name, run.params, run.metrics) == (
        "legacy", {"C": 0.5, "opt": None, "grid": {"a": 1}}, {"acc": 0.9})
    assert store.get_context(run.run_id) == {}


def test_params_written_before_v3_are_found_by_their_mlflow_text(tmp_path):
    make_v1_store(tmp_path / "old")
    store = open_store(str(tmp_path / "old"))
    for text in ("params.C = '0.5'", "params.opt = 'None'", "params.grid = \"{'a': 1}\""):
        assert store.search(parse_filter(text)).run_ids == ["r-0000000old01"], text


def test_store_from_a_newer_nbtrack_is_refused(tmp_path):
    open_store(str(tmp_path / "s")).close()
    conn = sqlite3.connect(tmp_path / "s" / "nbtrack.db")
    conn.execute("UPDATE nbtrack_schema SET version = ?", (LATEST_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(StoreVersionError, match="upgrade nbtrack"):
        open_store(str(tmp_path / "s"))


def test_failed_migration_leaves_the_old_version(tmp_path, monkeypatch):
    make_v1_store(tmp_path / "old")
    from nbtrack.store import schema, sqlite as sqlite_backend

    broken = MIGRATIONS[:1] + [(2, MIGRATIONS[1][1] + ["THIS IS NOT SQL"])]
    monkeypatch.setattr(sqlite_backend, "MIGRATIONS", broken)
    with pytest.raises(StoreError, match="syntax error"):
        open_store(str(tmp_path / "old"))
    conn = sqlite3.connect(tmp_path / "old" / "nbtrack.db")
    assert conn.execute("SELECT version FROM nbtrack_schema").fetchone() == (1,)
    assert "environments" not in {r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    monkeypatch.setattr(sqlite_backend, "MIGRATIONS", schema.MIGRATIONS)
    assert open_store(str(tmp_path / "old")).schema_version() == LATEST_VERSION
