"""The model registry on every backend: versions, aliases with compare-and-set, history."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from nbtrack import registry
from nbtrack.errors import (ArtifactCorruptError, InvalidValueError, ModelChoiceError,
                            ModelNotFoundError, RegistryConflictError)
from nbtrack.store import open_store
from nbtrack.tracking import Tracker
from nbtrack.versions import parse_address

X = np.array([[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1]])
Y = np.array([0, 1, 0, 1])

pytestmark = pytest.mark.backends("memory", "sqlite", "postgres")


def model_run(tracker: Tracker, C: float = 1.0, names: tuple[str, ...] = ("clf",)) -> str:
    with tracker.start_run(params={"C": C}) as run:
        for name in names:
            tracker.log_model(LogisticRegression(C=C).fit(X, Y), name=name)
        tracker.log_metric("acc", 0.5 + C / 10)
    return run.run_id


def test_versions_are_numbered_in_order_with_lineage_and_digest(tracker):
    first, second = model_run(tracker, 0.1), model_run(tracker, 1.0)
    v1 = registry.register_model(tracker.store, first, "iris")
    v2 = registry.register_model(tracker.store, second[:10], "iris", description="wider C")
    assert (v1.version, v2.version) == (1, 2) and v2.address == "iris/2"
    assert v1.run_id == first and v1.artifact == "clf" and v1.format == "skops"
    assert v1.digest == tracker.store.artifact_record(first, "clf").sha256
    assert v1.metrics == {"acc": pytest.approx(0.51)}
    assert registry.resolve(tracker.store, "iris").version == 2
    assert registry.resolve(tracker.store, "iris/1") == v1
    frame = registry.versions_frame(tracker.store, "iris")
    assert frame["version"].tolist() == [1, 2] and frame["description"].iloc[1] == "wider C"
    assert frame["metrics.acc"].tolist() == [pytest.approx(0.51), pytest.approx(0.6)]


def test_a_run_knows_the_versions_it_was_registered_as(tracker):
    first, second = model_run(tracker, 0.1), model_run(tracker, 1.0)
    registry.register_model(tracker.store, first, "iris")
    registry.register_model(tracker.store, second, "iris")
    registry.register_model(tracker.store, first, "iris-copy")
    assert registry.registered_as(tracker.store, first) == ["iris/1", "iris-copy/1"]
    assert registry.registered_as(tracker.store, second) == ["iris/2"]
    assert registry.registered_as(tracker.store, model_run(tracker)) == []


def test_a_run_with_two_models_needs_the_artifact_named(tracker):
    run_id = model_run(tracker, names=("lr", "backup"))
    with pytest.raises(ModelChoiceError) as info:
        registry.register_model(tracker.store, run_id, "iris")
    assert str(info.value) == (f"run {run_id} has 2 models (backup, lr); name one: "
                               "register_model(run, 'iris', artifact='backup')")
    with pytest.raises(ModelNotFoundError, match="no model named 'nope' .its models: backup, lr"):
        registry.register_model(tracker.store, run_id, "iris", artifact="nope")
    assert registry.register_model(tracker.store, run_id, "iris", artifact="backup").version == 1


def test_alias_compare_and_set_moves_nothing_on_conflict(tracker):
    for C in (0.1, 1.0, 10.0):
        registry.register_model(tracker.store, model_run(tracker, C), "iris")
    store = tracker.store
    assert registry.set_alias(store, "iris", "production", 1) is None
    assert registry.set_alias(store, "iris", "production", 2, expected=1) == 1
    before = len(registry.history_frame(store, "iris"))
    with pytest.raises(RegistryConflictError) as info:
        registry.set_alias(store, "iris", "production", 3, expected=1)
    assert str(info.value) == ("iris@production points at version 2, not 1 as expected: "
                               "someone moved it meanwhile; look again and retry")
    assert registry.resolve(store, "iris@production").version == 2
    assert len(registry.history_frame(store, "iris")) == before
    with pytest.raises(ModelNotFoundError, match="iris has no version 7"):
        registry.set_alias(store, "iris", "staging", 7)


def test_history_answers_what_an_alias_pointed_to_at_any_moment(tracker):
    store = tracker.store
    for C in (0.1, 1.0, 10.0):
        registry.register_model(store, model_run(tracker, C), "iris")
    moments = []
    for step in (lambda: registry.set_alias(store, "iris", "production", 1),
                 lambda: registry.set_alias(store, "iris", "production", 3),
                 lambda: registry.delete_alias(store, "iris", "production"),
                 lambda: registry.set_alias(store, "iris", "production", 2)):
        time.sleep(0.005)
        step()
        time.sleep(0.005)
        moments.append(time.time())
    answers = []
    for moment in moments:
        try:
            answers.append(registry.resolve(store, "iris@production", at=moment).version)
        except ModelNotFoundError:
            answers.append(None)
    assert answers == [1, 3, None, 2]
    history = registry.history_frame(store, "iris")
    assert list(history["op"]) == ["register"] * 3 + ["set_alias", "set_alias",
                                                      "delete_alias", "set_alias"]
    assert list(history["old"].astype(object).where(history["old"].notna(), None))[3:] == \
        [None, 1, 3, None]


@pytest.mark.parametrize("alias, words", [
    ("latest", "reserved"), ("v3", "reserved"), ("Prod", "cannot be an alias"),
    ("9x", "cannot be an alias"), ("a" * 65, "cannot be an alias"),
])
def test_reserved_and_malformed_aliases_are_refused(tracker, alias, words):
    registry.register_model(tracker.store, model_run(tracker), "iris")
    with pytest.raises(InvalidValueError, match=words):
        registry.set_alias(tracker.store, "iris", alias, 1)
    assert registry.history_frame(tracker.store, "iris")["op"].tolist() == ["register"]


def test_addresses_parse_and_bad_ones_say_the_three_forms():
    assert (parse_address("iris").version, parse_address("iris/3").version,
            parse_address("iris@production").alias) == (None, 3, "production")
    for bad in ("iris/0", "iris/x", "iris/2@prod", "", "a b"):
        with pytest.raises(InvalidValueError):
            parse_address(bad)


def test_loading_checks_the_digest_recorded_at_registration(tracker, tamper):
    store = tracker.store
    run_id = model_run(tracker, 1.0)
    registry.register_model(store, run_id, "iris")
    loaded = registry.load_model(store, "iris/1")
    assert loaded.predict(X).tolist() == Y.tolist()
    tamper(store, store.artifact_record(run_id, "clf").sha256, b"tampered")
    with pytest.raises(ArtifactCorruptError):
        registry.load_model(store, "iris/1")


def test_a_changed_artifact_record_is_not_loaded_as_the_version(tracker):
    store = tracker.store
    registry.register_model(store, model_run(tracker, 1.0), "iris")
    other = model_run(tracker, 10.0)
    digest = store.artifact_record(other, "clf").sha256
    version = registry.resolve(store, "iris/1")
    store.backend.transaction(lambda c: c.execute(
        "UPDATE artifacts SET sha256 = ? WHERE run_id = ? AND name = 'clf'",
        (digest, version.run_id)))
    with pytest.raises(RegistryConflictError, match="changed after it was registered"):
        registry.load_model(store, "iris/1")


_REGISTER = textwrap.dedent("""
    import sys, time
    from nbtrack import registry
    from nbtrack.store import open_store
    store = open_store(sys.argv[1])
    while time.time() < float(sys.argv[2]):
        time.sleep(0.001)
    for _ in range(5):
        registry.register_model(store, sys.argv[3], "iris")
    store.close()
""")


@pytest.mark.slow
def test_versions_have_no_gaps_or_duplicates_under_eight_processes(shared_store_uri,
                                                                    python_env):
    uri = shared_store_uri
    tracker = Tracker(open_store(uri))
    run_id = model_run(tracker)
    tracker.store.flush()
    start = str(time.time() + 2.0)
    workers = [subprocess.Popen([sys.executable, "-c", _REGISTER, uri, start, run_id],
                                env=python_env) for _ in range(8)]
    assert [w.wait(timeout=120) for w in workers] == [0] * 8
    numbers = [v.version for v in open_store(uri).backend.registry.versions("iris")]
    assert numbers == list(range(1, 41))


_PROMOTE = textwrap.dedent("""
    import sys, time
    from nbtrack import registry
    from nbtrack.errors import RegistryConflictError
    from nbtrack.store import open_store
    store = open_store(sys.argv[1])
    while time.time() < float(sys.argv[2]):
        pass
    try:
        registry.set_alias(store, "iris", "production", int(sys.argv[3]), expected=1)
        print("won")
    except RegistryConflictError:
        print("lost")
""")


@pytest.mark.slow
def test_two_processes_racing_to_promote_one_wins(shared_store_uri, python_env):
    uri = shared_store_uri
    tracker = Tracker(open_store(uri))
    for C in (0.1, 1.0, 10.0):
        registry.register_model(tracker.store, model_run(tracker, C), "iris")
    registry.set_alias(tracker.store, "iris", "production", 1)
    start = str(time.time() + 2.0)
    racers = [subprocess.Popen([sys.executable, "-c", _PROMOTE, uri, start, version],
                               env=python_env, stdout=subprocess.PIPE, text=True)
              for version in ("2", "3")]
    outcomes = [r.communicate(timeout=120)[0].strip() for r in racers]
    assert sorted(outcomes) == ["lost", "won"]
    winner = ("2", "3")[outcomes.index("won")]
    assert registry.resolve(open_store(uri), "iris@production").version == int(winner)


def test_command_line_registers_promotes_and_lists(capsys):
    import json

    import nbtrack
    from nbtrack.cli import main

    first, second = model_run(nbtrack.tracker(), 0.1), model_run(nbtrack.tracker(), 1.0)
    nbtrack.tracker().store.flush()
    assert main(["register", first, "iris", "--alias", "production"]) == 0
    assert capsys.readouterr().out == (f"registered iris/1 from {first}\n"
                                       "iris@production -> 1\n")
    assert main(["register", second, "iris"]) == 0
    capsys.readouterr()
    assert main(["promote", "iris", "2", "production", "--expected", "2"]) == 1
    assert capsys.readouterr().err == ("nbtrack: error: iris@production points at version 1, "
                                       "not 2 as expected: someone moved it meanwhile; look "
                                       "again and retry\n")
    assert main(["promote", "iris", "2", "production", "--expected", "1"]) == 0
    assert capsys.readouterr().out == "iris@production -> 2 (was 1)\n"
    assert main(["models", "iris", "--json"]) == 0
    versions = json.loads(capsys.readouterr().out)
    assert [(v["version"], v["run_id"]) for v in versions] == [(1, first), (2, second)]
    assert main(["models", "history", "iris", "--json"]) == 0
    events = json.loads(capsys.readouterr().out)
    assert [(e["op"], e["old_value"], e["new_value"]) for e in events] == [
        ("register", None, None), ("set_alias", None, 1), ("register", None, None),
        ("set_alias", 1, 2)]
    assert main(["models"]) == 0
    assert "@production→2" in capsys.readouterr().out
    assert main(["show", second]) == 0
    assert "  registered  iris/2" in capsys.readouterr().out.splitlines()


def test_notebook_commands_register_the_last_run_and_promote(ip, capsys):
    import nbtrack

    ip.user_ns.update(X=X, Y=Y)
    assert ip.run_cell("%%track --quiet\nfrom sklearn.linear_model import LogisticRegression\n"
                       "clf = LogisticRegression(C=1.0).fit(X, Y)\nacc = clf.score(X, Y)",
                       store_history=True).success
    run_id = nbtrack.tracker().last_run_id
    capsys.readouterr()
    ip.run_line_magic("track", "register iris --alias staging")
    assert capsys.readouterr().out == (f"registered iris/1 from {run_id}\n"
                                       "iris@staging -> 1\n")
    frame = ip.run_line_magic("track", "models")
    assert frame["name"].tolist() == ["iris"] and frame["aliases"].tolist() == ["@staging→1"]
    ip.run_line_magic("track", "promote iris 1 production")
    assert capsys.readouterr().out == "iris@production -> 1 (new)\n"
    assert nbtrack.resolve("iris@production").run_id == run_id


def test_a_version_holding_an_alias_is_deleted_only_with_force_and_numbers_are_not_reused(
        tracker):
    store = tracker.store
    for C in (0.1, 1.0):
        registry.register_model(store, model_run(tracker, C), "iris")
    registry.set_alias(store, "iris", "production", 2)
    with pytest.raises(RegistryConflictError) as info:
        registry.delete_version(store, "iris", 2)
    assert str(info.value) == ("iris/2 is @production; move the alias first, or delete with "
                               "force=True (--force)")
    assert registry.delete_version(store, "iris", 2, force=True) == ["production"]
    assert [v.version for v in store.backend.registry.versions("iris")] == [1]
    assert registry.register_model(store, model_run(tracker, 10.0), "iris").version == 3
    ops = registry.history_frame(store, "iris")["op"].tolist()
    assert ops[-3:] == ["delete_alias", "delete_version", "register"]
    with pytest.raises(ModelNotFoundError, match="iris@production did not exist"):
        registry.resolve(store, "iris@production")
