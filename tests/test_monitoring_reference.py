"""Reference samples: a seeded reservoir of the training inputs, kept at capture and
chosen at registration, then used by monitor when no reference is given."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

import nbtrack
from nbtrack import registry
from nbtrack.errors import InvalidValueError
from nbtrack.monitoring import reference as samples
from nbtrack.monitoring.monitor import monitor_served
from nbtrack.tracking import Tracker


def test_the_reservoir_keeps_at_most_k_rows_the_same_ones_for_the_same_seed():
    small = samples.reservoir_indices(500)
    assert small.tolist() == list(range(500))
    one = samples.reservoir_indices(123_456, 10_000, seed=0)
    assert len(one) == 10_000 and len(set(one.tolist())) == 10_000
    assert one.tolist() == sorted(one.tolist()) and one.max() < 123_456
    assert np.array_equal(one, samples.reservoir_indices(123_456, 10_000, seed=0))
    assert not np.array_equal(one, samples.reservoir_indices(123_456, 10_000, seed=1))


def test_the_chunked_reservoir_is_the_k_smallest_keys_of_one_seeded_draw(monkeypatch):
    # chunks of 1,000 over 3,500 rows: the answer must not depend on the chunking
    monkeypatch.setattr(samples, "_CHUNK", 1_000)
    keys = np.random.default_rng(7).random(3_500)
    expected = np.sort(np.argsort(keys)[:300])
    assert np.array_equal(samples.reservoir_indices(3_500, 300, seed=7), expected)


def test_only_tables_with_rows_and_distinct_columns_are_sampled():
    array = np.arange(30.0).reshape(10, 3)
    assert samples.sample_table(array).columns.tolist() == ["0", "1", "2"]
    assert samples.sample_table(np.arange(5.0)) is None
    assert samples.sample_table(pd.DataFrame({"a": []})) is None
    assert samples.sample_table(pd.DataFrame([[1, 2]], columns=["a", "a"])) is None
    assert samples.sample_table(pd.Series([1.0, 2.0])) is None
    assert len(samples.sample_table(pd.DataFrame({"a": range(20_000)}))) == 10_000
    wide = np.zeros((12_000, 1_000))  # 8,000 bytes a row: 4,194 rows fit in 32 MiB
    assert len(samples.sample_table(wide)) == samples.SAMPLE_BYTES // 8_000 == 4_194


def test_a_sample_survives_the_npz_round_trip_without_pickle():
    frame = pd.DataFrame({"x": [0.5, np.nan, 2.0], "n": [1, 2, 3], "ok": [True, False, True],
                          "city": ["a", None, "c"],
                          "kind": pd.Categorical(["u", "v", "u"])})
    data, meta = samples.encode_sample(frame)
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        assert all(arrays[k].dtype != object for k in arrays.files)
    back = samples.decode_sample(data, meta)
    assert back.columns.tolist() == ["x", "n", "ok", "city", "kind"]
    assert back["x"].isna().tolist() == [False, True, False]
    assert back["n"].tolist() == [1, 2, 3] and back["ok"].tolist() == [True, False, True]
    assert back["city"].isna().tolist() == [False, True, False]
    assert back["city"][[0, 2]].tolist() == ["a", "c"] and back["kind"].tolist() == ["u", "v", "u"]


def test_a_tracked_cell_keeps_a_sample_and_registration_names_the_one_that_fits(ip):
    rng = np.random.default_rng(0)
    ip.user_ns["df"] = pd.DataFrame({"a": rng.normal(size=25_000), "b": rng.normal(size=25_000),
                                     "y": rng.integers(0, 2, 25_000)})
    ip.user_ns["small"] = pd.DataFrame({"a": [1.0, 2.0]})
    ip.run_cell("%%track\nfrom sklearn.linear_model import LogisticRegression\n"
                "n_small = len(small)\n"
                "clf = LogisticRegression().fit(df[['a', 'b']], df['y'])\n",
                store_history=True)
    store = nbtrack.tracker().store
    run = store.get_run(store.search(limit=1).run_ids[0])
    kept = {a.name: a for a in samples.reference_artifacts(run)}
    assert set(kept) == {"reference/df.npz", "reference/small.npz"}
    assert kept["reference/df.npz"].meta["rows"] == 10_000
    assert kept["reference/df.npz"].meta["source_rows"] == 25_000
    version = registry.register_model(store, run.run_id, "clf")
    assert version.tags[samples.REFERENCE_TAG] == "reference/df.npz"
    frame = samples.load_reference(store, version)
    expected = ip.user_ns["df"].iloc[samples.reservoir_indices(25_000)][["a", "b"]]
    assert np.array_equal(frame.to_numpy(), expected.to_numpy())


def test_a_cell_that_saves_no_model_or_runs_with_no_inputs_keeps_no_sample(ip):
    ip.user_ns["df"] = pd.DataFrame({"a": [1.0, 2.0, 3.0], "y": [0, 1, 0]})
    store = nbtrack.tracker().store
    for cell in ("%%track\ntotal = float(df['a'].sum())\n",
                 "%%track --no-inputs\nfrom sklearn.tree import DecisionTreeClassifier\n"
                 "made = df.assign(b=df['a'] * 2)\n"
                 "tree = DecisionTreeClassifier().fit(made[['a', 'b']], made['y'])\n"):
        assert ip.run_cell(cell, store_history=True).success
        run = store.get_run(store.search(limit=1).run_ids[0])
        assert samples.reference_artifacts(run) == []
    assert [a.kind for a in run.artifacts] == ["model"]


def test_monitor_uses_the_registered_sample_and_says_what_to_do_without_one(tmp_path):
    from nbtrack.store import open_store
    from sklearn.linear_model import LogisticRegression

    store = open_store(str(tmp_path / "store"))
    tracker = Tracker(store)
    rng = np.random.default_rng(1)
    train = pd.DataFrame({"a": rng.normal(size=2_000), "b": rng.normal(size=2_000)})
    labels = (train["a"] > 0).astype(int)
    with tracker.start_run():
        tracker.log_model(LogisticRegression().fit(train, labels), name="clf")
    registry.register_model(store, tracker.last_run_id, "plain")
    with_sample = registry.register_model(store, tracker.last_run_id, "sampled",
                                          reference=train)
    assert with_sample.tags[samples.REFERENCE_TAG].startswith("reference/registered-")
    served = train.iloc[:200].assign(a=lambda f: f["a"] + 3.0)
    for name in ("plain", "sampled"):
        store.backend.registry.log_requests([
            (f"{name}-{i}", 1_000.0 + i, name, 1, 200, 0.01, 10,
             json.dumps(served.iloc[i * 10:(i + 1) * 10].to_dict("split")), None)
            for i in range(20)])
    health = monitor_served(tracker, "sampled/1", record=False)
    assert health.drift.n_reference == 2_000 and health.drift.drifted == ["a"]
    with pytest.raises(InvalidValueError, match=r"^plain/1 has no reference sample to compare "
                       r"with; pass reference= \(--reference train.csv\), or register"):
        monitor_served(tracker, "plain/1", record=False)
    store.close()
