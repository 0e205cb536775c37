"""Retrain rules end to end: a %%track cell trains, the model is registered and served,
drifted traffic makes `nbtrack monitor` exit 1, `--retrain` re-executes the notebook in a
fresh kernel and registers a new version without moving @production, and a second
trigger inside the cooldown (or while a retrain runs) does nothing."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pandas as pd
import pytest

import nbtrack
from nbtrack.cli import main
from nbtrack.errors import FilterSyntaxError, InvalidValueError, ModelNotFoundError
from nbtrack.filters import parse_filter
from nbtrack.monitoring.triggers import check_rule, monitor_rule, parse_params
from nbtrack.serving.server import ModelServer

RULE = "drift.share >= 0.5 or drift.max_psi >= 0.25 or f1 < baseline.f1 - 0.05"
CELL = """%%track
import pandas as pd
from sklearn.linear_model import LogisticRegression
data_path = "train.csv"
df = pd.read_csv(data_path)
clf = LogisticRegression().fit(df[["a", "b"]], df["y"])
acc = clf.score(df[["a", "b"]], df["y"])
"""


def frame(seed, n, shift=0.0):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n) + shift, rng.normal(size=n)
    return pd.DataFrame({"a": a, "b": b, "y": (a + 0.3 * b > shift).astype(int)})


def test_rules_parse_with_the_filter_grammar_and_fire_on_the_latest_window():
    values = {"drift.share": 0.0, "drift.max_psi": 0.3, "error_rate": 0.0}
    fired = check_rule(RULE, values, {"f1": 0.9, "acc": 0.8})
    assert fired.fired and fired.lines == (
        "drift.share >= 0.5: 0 >= 0.5 is false", "drift.max_psi >= 0.25: 0.3 >= 0.25 is true",
        "f1 < (baseline.f1 - 0.05): false (f1 not known)")
    assert check_rule("f1 < baseline.f1 - 0.05", {"f1": 0.84}, {"f1": 0.9}).fired
    assert not check_rule("f1 < baseline.f1 -0.05", {"f1": 0.86}, {"f1": 0.9}).fired
    both = "(baseline.acc - 0.1) * 2 > error_rate and requests < 1"
    assert check_rule(both, values, {"acc": 0.8}).lines[0] == \
        "((baseline.acc - 0.1) * 2) > error_rate: 1.4 > 0 is true"
    assert not check_rule(both, values, {"acc": 0.8}).fired  # requests is not known
    assert check_rule(both, {**values, "requests": 0.0}, {"acc": 0.8}).fired
    with pytest.raises(FilterSyntaxError, match=r"at position 0: 'drift.shar >= 1': unknown "
                       r"figure 'drift.shar'; use drift.share"):
        check_rule("drift.shar >= 1", {}, {})
    with pytest.raises(FilterSyntaxError, match=r"'f1-0': put spaces around - and /"):
        check_rule("f1 < baseline.f1-0.05", {}, {})
    # run filters keep their grammar: no arithmetic there
    with pytest.raises(FilterSyntaxError, match=r"unexpected character '\*'"):
        parse_filter("metrics.acc * 2 > 1")
    with pytest.raises(FilterSyntaxError, match="NOT before a condition is not supported; use "
                       "!=, NOT IN, NOT LIKE or IS NULL"):
        parse_filter("not metrics.acc > 1")
    assert parse_params(["data_path=data/new.csv", "C=0.5", "name='x'"]) == {
        "data_path": "data/new.csv", "C": 0.5, "name": "x"}
    with pytest.raises(InvalidValueError, match="write key=value"):
        parse_params(["data_path"])


@pytest.mark.slow
def test_drift_fires_the_rule_and_retrain_registers_a_version_without_moving_production(
        ip, tmp_path, capsys):
    frame(0, 3_000).to_csv(tmp_path / "train.csv", index=False)
    frame(1, 3_000, shift=1.5).to_csv(tmp_path / "new.csv", index=False)
    assert ip.run_cell(CELL, store_history=True).success
    store = nbtrack.tracker().store
    trained = nbtrack.runs().run_id[0]
    first = nbtrack.register_model(trained, "churn")
    assert first.tags["nbtrack.reference"] == "reference/df.npz"
    nbtrack.set_alias("churn", "production", 1)
    with pytest.raises(ModelNotFoundError, match="no registered model 'nope'"):
        nbtrack.set_monitor_rule("nope", RULE)
    assert nbtrack.set_monitor_rule("churn", RULE) == RULE
    assert monitor_rule(store, "churn") == RULE

    live = frame(2, 200, shift=3.0)[["a", "b"]]
    with ModelServer(store, "churn@production", token="t") as server:
        for i in range(10):
            part = live.iloc[i * 20:(i + 1) * 20]
            answer = httpx.post(server.url + "/invocations", timeout=30,
                                headers={"Authorization": "Bearer t"},
                                json={"dataframe_split": part.to_dict("split")})
            assert answer.status_code == 200
    uri = str(store.folder)
    capsys.readouterr()
    assert main(["--store", uri, "monitor", "churn@production", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["requests"] == 10 and data["drifted"] == ["a"] and "retrain" not in data

    command = ["--store", uri, "monitor", "churn@production", "--retrain", "--param",
               "data_path=new.csv", "--json"]
    assert main(command) == 1
    retrained = json.loads(capsys.readouterr().out)["retrain"]
    assert retrained["started"] and retrained["version"] == "churn/2", retrained
    versions = store.backend.registry.versions("churn")
    assert [v.version for v in versions] == [1, 2]
    assert store.backend.registry.aliases("churn") == {"churn": {"production": 1}}
    child = store.get_run(retrained["child_run_id"])
    assert child.parent_run_id == trained and child.params["data_path"] == "new.csv"
    assert versions[1].run_id == child.run_id and versions[1].tags["nbtrack.reference"]
    assert child.metrics["acc"] != store.get_run(trained).metrics["acc"]  # the new data
    marker = store.get_run(retrained["run_id"])
    assert marker.status.value == "FINISHED" and marker.tags["nbtrack.retrain.version"] == \
        "churn/2"

    assert main(command) == 1  # the rule still fires; the cooldown holds the retrain back
    again = json.loads(capsys.readouterr().out)["retrain"]
    assert not again["started"] and "the cooldown of 24 h lasts until" in again["message"]
    assert again["message"].endswith("nothing done")
    assert len(store.backend.registry.versions("churn")) == 2

    tracker = nbtrack.tracker()
    with tracker.start_run(name="retrain churn", capture_environment=False,
                           tags={"nbtrack.kind": "retrain", "nbtrack.model": "churn"}) as run:
        store.flush()
        assert main(command[:-1] + ["--cooldown", "0"]) == 1
        assert capsys.readouterr().out.strip().endswith(
            f"a retrain of churn is running (run {run.run_id}); not starting another")
    assert len(store.backend.registry.versions("churn")) == 2
    assert store.backend.registry.aliases("churn") == {"churn": {"production": 1}}

    # a param the training cell does not set is refused before the cooldown is taken
    assert main(command[:5] + ["--param", "data_pth=x.csv", "--cooldown", "0"]) == 1
    assert "data_pth" in capsys.readouterr().err
    assert [e.op for e in store.backend.registry.events("churn")].count("retrain") == 1

    # without --param the notebook re-runs with the run's own values (data refreshed in place)
    assert main(["--store", uri, "monitor", "churn@production", "--retrain", "--cooldown",
                 "0", "--json"]) == 1
    third = json.loads(capsys.readouterr().out)["retrain"]
    assert third["started"] and third["version"] == "churn/3"
    assert store.get_run(third["child_run_id"]).params["data_path"] == "train.csv"
    assert store.backend.registry.aliases("churn") == {"churn": {"production": 1}}
    assert main(["--store", uri, "monitor", "churn@production", "--param", "x=1"]) == 1
    assert capsys.readouterr().err == "nbtrack: error: --param is for --retrain: give both, " \
        "or neither\n"


def test_the_monitor_rule_command_sets_shows_and_clears(tmp_path, capsys):
    from sklearn.linear_model import LogisticRegression

    from nbtrack.store import open_store
    from nbtrack.tracking import Tracker

    uri = str(tmp_path / "store")
    store = open_store(uri)
    tracker = Tracker(store)
    with tracker.start_run():
        tracker.log_model(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), name="clf")
    nbtrack.registry.register_model(store, tracker.last_run_id, "m")
    store.close()
    capsys.readouterr()
    assert main(["--store", uri, "monitor-rule", "m"]) == 0
    assert capsys.readouterr().out == ("m has no rule; set one with nbtrack monitor-rule m "
                                       "\"drift.share >= 0.5\"\n")
    assert main(["--store", uri, "monitor-rule", "m", "error_rate > 0.1"]) == 0
    assert capsys.readouterr().out == "m: rule error_rate > 0.1\n"
    assert main(["--store", uri, "monitor-rule", "m"]) == 0
    assert capsys.readouterr().out == "error_rate > 0.1\n"
    assert main(["--store", uri, "monitor-rule", "m", "error_rat > 0.1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("nbtrack: error: bad monitor rule at position 0: 'error_rat > 0.1': "
                          "unknown figure 'error_rat'") and err.count("\n") == 1
    assert main(["--store", uri, "monitor-rule", "m", "--clear"]) == 0
    assert capsys.readouterr().out == "m: no rule\n"
    assert main(["--store", uri, "monitor-rule", "nope", "f1 < 0.5"]) == 1
    assert "no registered model 'nope'" in capsys.readouterr().err
