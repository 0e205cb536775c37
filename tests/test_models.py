"""log_model / load_model: safe persistence with the trust list kept in the store."""

from __future__ import annotations

import json

import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from nbtrack.entities import Artifact
from nbtrack.errors import ModelSerializationError, UntrustedModelError


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def test_logistic_regression_round_trips(tracker, iris):
    X, y = iris
    model = LogisticRegression(max_iter=500).fit(X, y)
    with tracker.start_run() as run:
        art = tracker.log_model(model)
    assert art.kind == "model" and art.meta["class"] == "LogisticRegression"
    loaded = tracker.get_run(run.run_id).load_model()
    assert (loaded.predict(X) == model.predict(X)).all()


def test_types_nbtrack_wrote_are_trusted_on_load(tracker, iris):
    # skops alone refuses a decision tree's internal Tree type; nbtrack recorded it when saving
    X, y = iris
    model = DecisionTreeClassifier(random_state=0).fit(X, y)
    with tracker.start_run() as run:
        art = tracker.log_model(model, name="tree")
    assert art.meta["trusted_types"], "the tree needs a type skops does not trust by default"
    loaded = tracker.get_run(run.run_id).load_model("tree")
    assert (loaded.predict(X) == model.predict(X)).all()


class Custom:
    """A class skops does not know, so its type is untrusted."""

    def __init__(self) -> None:
        self.value = 3


def test_file_from_elsewhere_with_untrusted_types_is_refused(tracker):
    import skops.io as sio

    data = sio.dumps(Custom())
    with tracker.start_run() as run:
        # recorded as a model but with no trust list, like a file imported from outside
        tracker.store.add_artifact(run.run_id, Artifact("foreign", "", 0, "model",
                                                        {"format": "skops", "trusted_types": []}),
                                   data=data)
    got = tracker.get_run(run.run_id)
    with pytest.raises(UntrustedModelError, match="trusted=True"):
        got.load_model("foreign")
    assert got.load_model("foreign", trusted=True).value == 3


def test_trust_list_inside_the_artifact_is_ignored(tracker, tmp_path):
    """A tampered file cannot vouch for itself: only the store's record counts."""
    import skops.io as sio

    data = sio.dumps(Custom())
    with tracker.start_run() as run:
        tracker.store.add_artifact(run.run_id, Artifact("m", "", 0, "model",
                                                        {"format": "skops", "trusted_types": []}),
                                   data=data)
        # a sidecar or embedded claim of trust has no effect
        tracker.store.add_artifact(run.run_id, Artifact("m.trust.json", "", 0),
                                   data=json.dumps({"trusted_types": [
                                       f"{__name__}.Custom", "builtins.eval"]}).encode())
    with pytest.raises(UntrustedModelError):
        tracker.get_run(run.run_id).load_model("m")


def test_plain_file_is_never_loaded_as_a_model(tracker):
    import pickle

    with tracker.start_run() as run:
        tracker.store.add_artifact(run.run_id, Artifact("model.pkl", "", 0),
                                   data=pickle.dumps({"a": 1}))
    with pytest.raises(UntrustedModelError):
        tracker.get_run(run.run_id).load_model("model.pkl")


def test_unserialisable_model_gives_a_clear_error(tracker):
    with tracker.start_run():
        with pytest.raises(ModelSerializationError, match="log_artifact"):
            tracker.log_model(lambda x: x)


def test_without_a_name_the_runs_only_model_is_loaded(tracker, iris):
    X, y = iris
    with tracker.start_run() as run:
        tracker.log_model(LogisticRegression(max_iter=500).fit(X, y), name="clf")
    loaded = tracker.get_run(run.run_id).load_model()
    assert type(loaded).__name__ == "LogisticRegression"


def test_without_a_name_several_models_or_none_say_what_to_do(tracker, iris):
    from nbtrack.errors import ModelChoiceError

    X, y = iris
    with tracker.start_run() as two:
        tracker.log_model(LogisticRegression(max_iter=500).fit(X, y), name="lr")
        tracker.log_model(DecisionTreeClassifier(random_state=0).fit(X, y), name="tree")
    with pytest.raises(ModelChoiceError) as caught:
        tracker.get_run(two.run_id).load_model()
    assert str(caught.value) == (f"run {two.run_id} has 2 models (lr, tree); name one: "
                                 "load_model('lr')")
    with tracker.start_run() as none:
        tracker.log_metric("acc", 0.5)
    with pytest.raises(ModelChoiceError, match=f"run {none.run_id} has no model; see"):
        tracker.get_run(none.run_id).load_model()
