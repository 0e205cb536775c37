"""Migration between stores: SQLite -> PostgreSQL -> SQLite, whole, verified, idempotent."""

from __future__ import annotations

import json
import math
import time

import pytest
from sklearn.linear_model import LogisticRegression

from nbtrack import registry
from nbtrack.cli import main
from nbtrack.entities import Artifact, Metric, Run, RunStatus
from nbtrack.errors import StoreError
from nbtrack.ids import new_run_id
from nbtrack.store import open_store
from nbtrack.store.checksums import store_checksums
from nbtrack.store.migrate import migrate
from nbtrack.tracking import Tracker


def _fill(store, bulk: int) -> list[str]:
    """``bulk`` plain finished runs plus a few rich ones; returns the rich runs' ids."""
    now = time.time() - 10_000
    store.bulk_import(
        (Run(new_run_id(now + i), experiment=f"sweep-{i % 3}", name=f"r{i}",
             status=RunStatus.FINISHED, start_time=now + i, end_time=now + i + 0.5,
             params={"C": i / 10, "model": "rf" if i % 2 else "lr", "depth": i},
             metrics={"acc": (i % 97) / 97, "loss": 1 / (i + 1)}, tags={"batch": str(i % 5)})
         for i in range(bulk)), batch_size=500)
    tracker = Tracker(store)
    rich = []
    for k in range(4):
        with tracker.start_run(experiment="rich", name=f"rich-{k}",
                               params={"lr": 10 ** -k, "layers": [64, 32], "none": None,
                                       "big": 2 ** 70 + k, "nan": math.nan, "flag": k % 2 == 0},
                               tags={"team": "vision"}) as run:
            for step in range(25):
                tracker.log_metric("loss", 1 / (step + 1 + k), step=step, run=run)
            tracker.log_metric("weird", -0.0, step=0, run=run)
            tracker.log_metric("weird", math.inf, step=1, run=run)
            tracker.log_metric("weird", math.nan, step=1, run=run)
            store.add_artifact(run.run_id, Artifact(f"notes/{k}.txt", "", 0),
                               data=f"note {k}".encode())
            model = LogisticRegression(max_iter=200).fit([[0.0], [1.0], [2.0], [3.0]],
                                                         [0, 0, 1, 1 - (k == 3)])
            tracker.log_model(model, "model", run=run)
        rich.append(run.run_id)
    failed = Run(new_run_id(), experiment="rich", name="broken", start_time=time.time())
    store.create_run(failed, {"source": "1/0"}, {"python": "3.11"})
    store.log_batch(failed.run_id, metrics=[Metric("partial", 0.25, 0, time.time())])
    store.end_run(failed.run_id, RunStatus.FAILED, time.time(), "ZeroDivisionError: division")
    registry.register_model(store, rich[0], "iris")
    registry.register_model(store, rich[1], "iris")
    registry.set_alias(store, "iris", "production", 1)
    registry.set_alias(store, "iris", "production", 2, expected=1)
    registry.set_alias(store, "iris", "staging", 1)
    registry.delete_alias(store, "iris", "staging")
    store.backend.registry.log_requests([
        (f"req-{i}", time.time(), "iris", 2, 200, 0.004 + i / 1000, 1, json.dumps([[i]]),
         json.dumps([i % 2])) for i in range(5)])
    store.backend.registry.log_labels([(f"req-{i}", time.time(), json.dumps([1 - i % 2]))
                                       for i in range(3)])
    store.flush()
    return rich


@pytest.fixture
def source(tmp_path):
    store = open_store(str(tmp_path / "first"))
    yield store
    store.close()


def test_sqlite_to_postgres_to_sqlite_is_identical_by_checksum(source, postgres_uri, tmp_path):
    rich = _fill(source, bulk=995)
    assert sum(1 for _ in source.search().base["run_id"]) == 1000
    middle = open_store(postgres_uri)
    last = open_store(str(tmp_path / "last"))
    try:
        seen: list[tuple[int, int]] = []
        there = migrate(source, middle, progress=lambda done, total: seen.append((done, total)))
        assert there.ok, str(there)
        assert (there.runs_copied, there.runs_present, there.runs_running) == (1000, 0, 0)
        assert there.artifacts_copied == 8 and there.requests_copied == 5
        assert there.labels_copied == 3
        assert seen[-1] == (1000, 1000) and len(seen) == 10
        back = migrate(middle, last)
        assert back.ok, str(back)

        first_sums, last_sums = store_checksums(source.backend), store_checksums(last.backend)
        assert first_sums == last_sums
        counts = {s.table: s.rows for s in first_sums}
        assert counts["runs"] == 1000 and counts["metrics"] == 995 * 2 + 4 * 28 + 1
        assert counts["registry_events"] == 6 and counts["model_aliases"] == 1
        assert counts["serving_labels"] == 3 and counts["serving_requests"] == 5

        # what a reader sees is the same, down to the odd floats and the model itself
        for run_id in rich:
            shown = {k: repr(v) for k, v in source.get_run(run_id).params.items()}
            assert {k: repr(v) for k, v in last.get_run(run_id).params.items()} == shown
            assert shown["nan"] == "nan" and shown["big"] == repr(2 ** 70 + rich.index(run_id))
            assert [m.value for m in last.metric_history(run_id, "loss")] == \
                [m.value for m in source.metric_history(run_id, "loss")]
            weird = [repr(m.value) for m in last.metric_history(run_id, "weird")]
            assert weird == ["-0.0", "inf", "nan"]
            assert last.read_artifact(run_id, "notes/" + str(rich.index(run_id)) + ".txt") \
                == f"note {rich.index(run_id)}".encode()
        model = registry.load_model(last, "iris@production")
        assert model.predict([[0.1], [2.9]]).tolist() == [0, 1]
        assert registry.resolve(last, "iris@production").version == 2
        assert last.get_run(rich[0]).status is RunStatus.FINISHED
        assert last.fsck() == []
    finally:
        middle.close()
        last.close()


def test_rerunning_a_migration_copies_nothing_twice_and_picks_up_new_runs(source, tmp_path):
    _fill(source, bulk=20)
    target = open_store(str(tmp_path / "target"))
    try:
        first = migrate(source, target)
        assert first.ok and first.runs_copied == 25
        again = migrate(source, target)
        assert again.ok, str(again)
        assert (again.runs_copied, again.runs_present, again.artifacts_copied,
                again.registry_rows, again.requests_copied, again.labels_copied) == (
            0, 25, 0, 0, 0, 0)
        assert store_checksums(target.backend) == store_checksums(source.backend)

        late = Tracker(source)
        running = late.start_run(experiment="late")
        finished = Run(new_run_id(), experiment="late", start_time=time.time())
        source.create_run(finished, {}, None)
        source.end_run(finished.run_id, RunStatus.FINISHED, time.time())
        third = migrate(source, target)
        assert (third.runs_copied, third.runs_running) == (1, 1) and third.ok
        late.end_run(running)
        fourth = migrate(source, target)
        assert fourth.runs_copied == 1 and fourth.ok
        assert store_checksums(target.backend) == store_checksums(source.backend)
    finally:
        target.close()


def test_a_destination_that_disagrees_is_reported_not_hidden(source, tmp_path):
    run_id = _fill(source, bulk=3)[0]
    target = open_store(str(tmp_path / "target"))
    try:
        assert migrate(source, target).ok
        target.backend.write_once(lambda c: c.execute(
            "UPDATE tags SET value = 'changed' WHERE run_id = ?", (run_id,)))
        report = migrate(source, target)
        assert report.mismatches == ["tags"] and not report.ok
        assert "NOT identical: tags" in str(report)
    finally:
        target.close()


def test_the_same_store_cannot_be_migrated_into_itself(source):
    with pytest.raises(StoreError, match="same store"):
        migrate(source, source)


def test_the_migrate_command_copies_verifies_and_prints_json(tmp_path, capsys):
    first = open_store(str(tmp_path / "a"))
    _fill(first, bulk=10)
    first.close()
    code = main(["migrate", "--from", str(tmp_path / "a"), "--to", str(tmp_path / "b"),
                 "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["ok"] is True and out["runs_copied"] == 15
    assert out["tables"]["runs"]["rows"] == 15
    code = main(["migrate", "--from", str(tmp_path / "a"), "--to", str(tmp_path / "b")])
    captured = capsys.readouterr()
    assert code == 0 and "copied 0 runs (15 already there)" in captured.out
    assert "verified: identical" in captured.out
    assert main(["migrate", "--from", str(tmp_path / "nothing"), "--to",
                 str(tmp_path / "c")]) == 1
    assert "no nbtrack store at" in capsys.readouterr().err
