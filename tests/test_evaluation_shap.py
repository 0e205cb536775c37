"""evaluate(..., explain=True): SHAP values that add up to the model's output, kept as a
plain .npz array with the run, summarised as shap.<feature> metrics."""

from __future__ import annotations

import io
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import GradientBoostingClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import nbtrack
from nbtrack.errors import InvalidValueError
from nbtrack.monitoring.evaluation import evaluate_model
from nbtrack.monitoring.explain import AGNOSTIC_ROWS, SAMPLE_ROWS, read_shap_values


def table(rows: int = 1_500, seed: int = 2):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=rows), "b": rng.normal(size=rows),
                      "c": rng.normal(size=rows)})
    signal = 2 * X["a"] - X["b"] + 0.1 * X["c"]
    return X, signal + rng.normal(scale=0.5, size=rows)


def adds_up(found, answer) -> float:
    """The largest gap between base value + the SHAP values of a row and the output."""
    return float(np.max(np.abs(found.base_values + found.values.sum(axis=1) - answer)))


def test_linear_model_values_add_up_to_its_log_odds_and_are_stored_as_npz():
    X, score = table()
    y = (score > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    with nbtrack.start_run(name="explained") as run:
        result = nbtrack.evaluate(model, X, y, explain=True)
    stored = read_shap_values(nbtrack.tracker().store.read_artifact(run.run_id,
                                                                   "shap_values.npz"))
    assert stored.explainer == "LinearExplainer"
    assert stored.output == "decision_function"
    assert len(stored.rows) == SAMPLE_ROWS == len(set(stored.rows.tolist()))
    assert stored.values.shape == (SAMPLE_ROWS, 3)
    assert stored.feature_names == ["a", "b", "c"]
    assert adds_up(stored, model.decision_function(X.iloc[stored.rows])) < 1e-6
    assert np.array_equal(stored.data, X.iloc[stored.rows].to_numpy())
    means = np.abs(stored.values).mean(axis=0)
    assert [result.metrics[f"shap.{f}"] for f in "abc"] == means.tolist()
    assert nbtrack.get_run(run.run_id).metrics["shap.a"] == means[0]
    kinds = {a.name: (a.kind, a.meta.get("output")) for a in nbtrack.get_run(run.run_id).artifacts}
    assert kinds["shap_values.npz"] == ("shap", "decision_function")


def test_the_npz_holds_plain_arrays_only():
    X, score = table(rows=300)
    model = LogisticRegression().fit(X, (score > 0).astype(int))
    data = evaluate_model(model, X, (score > 0).astype(int), explain=True).shap.to_npz()
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        assert sorted(arrays.files) == ["base_values", "classes", "data", "explainer",
                                        "feature_names", "output", "rows", "values"]
        assert all(arrays[name].dtype != object for name in arrays.files)
        assert len(arrays["rows"]) == 300  # fewer rows than the sample size: all of them


def test_tree_model_values_add_up_to_its_output():
    X, score = table()
    y = (score > 0).astype(int)
    model = GradientBoostingClassifier(n_estimators=20, random_state=0).fit(X, y)
    found = evaluate_model(model, X, y, explain=True).shap
    assert found.explainer == "TreeExplainer"
    assert found.output == "decision_function"
    assert adds_up(found, model.decision_function(X.iloc[found.rows])) < 1e-6
    forest = RandomForestRegressor(n_estimators=10, random_state=0).fit(X, score)
    found = evaluate_model(forest, X, score, explain=True).shap
    assert (found.explainer, found.output) == ("TreeExplainer", "predict")
    assert adds_up(found, forest.predict(X.iloc[found.rows])) < 1e-6


@pytest.mark.slow  # shap compiles its exact explainer with numba on first use: seconds
def test_any_other_model_gets_the_model_agnostic_explainer_over_its_probabilities():
    X, score = table(rows=120)  # under AGNOSTIC_ROWS: it calls the model per row
    y = (score > 0).astype(int)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    found = evaluate_model(model, X, y, explain=True).shap
    assert (found.explainer, found.output) == ("ExactExplainer", "predict_proba")
    assert len(found.rows) == 120 < AGNOSTIC_ROWS
    assert adds_up(found, model.predict_proba(X.iloc[found.rows])[:, 1]) < 1e-6


def test_multiclass_values_have_one_slice_per_class_that_adds_up():
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    found = evaluate_model(model, X, y, explain=True).shap
    assert found.values.shape == (150, 4, 3)
    assert found.classes == ["0", "1", "2"]
    assert adds_up(found, model.decision_function(X.iloc[found.rows])) < 1e-6


def test_the_sample_is_seeded():
    X, score = table()
    y = (score > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    first = evaluate_model(model, X, y, explain=True).shap
    second = evaluate_model(model, X, y, explain=True).shap
    assert np.array_equal(first.rows, second.rows)
    assert np.array_equal(first.values, second.values)


def test_the_report_lists_the_top_features():
    X, score = table(rows=400)
    y = (score > 0).astype(int)
    result = evaluate_model(LogisticRegression().fit(X, y), X, y, explain=True)
    assert "mean |SHAP value|: a " in repr(result)
    assert "<b>mean |SHAP value|</b>" in result._repr_html_()


def test_without_shap_it_is_a_one_line_error_naming_the_extra(monkeypatch):
    X, score = table(rows=200)
    y = (score > 0).astype(int)
    monkeypatch.setitem(sys.modules, "shap", None)  # what an environment without it sees
    with pytest.raises(InvalidValueError, match=r"pip install 'nbtrack\[explain\]'$"):
        evaluate_model(LogisticRegression().fit(X, y), X, y, explain=True)
