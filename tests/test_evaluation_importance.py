"""Permutation importance in evaluate(): scikit-learn's permutation_importance with its
default score, 5 repeats and random_state=0, on the seeded sample of at most 10,000
rows; a numeric table handed over as an array gives the same figures as the table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import Lasso, LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from nbtrack.monitoring.evaluation import evaluate_model
from nbtrack.monitoring.importance import (IMPORTANCE_ROWS, REPEATS, importance_sample,
                                           permutation_importances)


def frame(rows: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(size=rows), "b": rng.normal(size=rows),
                         "c": rng.normal(size=rows)})


def scikit_learns(model, X, y):
    """scikit-learn's function on the table itself (its default score), on the sample."""
    picks = importance_sample(len(y))
    sample = X.iloc[picks] if hasattr(X, "iloc") else np.asarray(X)[picks]
    found = permutation_importance(model, sample, np.asarray(y)[picks],
                                   n_repeats=REPEATS, random_state=0)
    return found.importances_mean.tolist()


def test_on_many_rows_it_is_scikit_learns_function_on_the_seeded_sample():
    X = frame(IMPORTANCE_ROWS + 2_000)
    y = (X["a"] - 0.5 * X["b"] > 0).astype(int).to_numpy()
    model = LogisticRegression().fit(X, y)
    ours = evaluate_model(model, X, y).metrics
    assert [ours[f"importance.{k}"] for k in "abc"] == scikit_learns(model, X, y)
    assert len(importance_sample(len(X))) == IMPORTANCE_ROWS
    assert ours["importance.a"] > ours["importance.b"] > 0


def test_the_sample_is_seeded_and_sorted():
    picks = importance_sample(50_000)
    assert len(picks) == IMPORTANCE_ROWS and list(picks) == sorted(set(picks))
    assert list(importance_sample(50_000)) == list(picks)
    assert list(importance_sample(300)) == list(range(300))


def test_regressors_are_scored_by_r2():
    X = frame(500)
    y = 3 * X["a"] + X["b"] + np.random.default_rng(2).normal(size=500)
    model = LinearRegression().fit(X, y)
    ours = permutation_importances(model, X, y.to_numpy(), classifier=False)
    assert list(ours.values()) == pytest.approx(scikit_learns(model, X, y), abs=1e-12)
    # shuffling the strongest feature costs about all of its share of the variance
    assert ours["a"] > 1.5 > ours["b"] > 0.1


def test_mixed_dtypes_go_to_scikit_learn_as_the_table():
    X = frame(800).assign(n=np.arange(800) % 7)
    y = (X["a"] + 0.3 * X["n"] > 1).astype(int).to_numpy()
    model = LogisticRegression(max_iter=500).fit(X, y)
    ours = permutation_importances(model, X, y, classifier=True)
    assert list(ours.values()) == scikit_learns(model, X, y)
    assert ours["n"] > ours["c"]


def test_a_feature_the_model_ignores_has_no_importance():
    X = frame(400)
    y = 2 * X["a"] + 0.01 * X["c"]
    model = Lasso(alpha=0.1).fit(X, y)
    assert model.coef_[1] == 0 and model.coef_[2] == 0
    figures = evaluate_model(model, X, y).metrics
    assert figures["importance.b"] == figures["importance.c"] == 0.0
    assert figures["importance.a"] > 1


def test_columns_keep_their_dtype_when_shuffled():
    X = frame(600).assign(kind=pd.Categorical(np.tile(["x", "y", "z"], 200)))
    y = ((X["kind"] == "x") | (X["a"] > 1)).astype(int).to_numpy()
    model = make_pipeline(make_column_transformer((OneHotEncoder(), ["kind"]),
                                                  remainder="passthrough"),
                          LogisticRegression()).fit(X, y)
    figures = evaluate_model(model, X, y).metrics
    assert figures["importance.kind"] > figures["importance.b"]


def test_plain_arrays_are_named_by_position():
    X = frame(300).to_numpy()
    y = (X[:, 0] > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    ours = permutation_importances(model, X, y, classifier=True)
    assert list(ours) == ["0", "1", "2"]
    assert list(ours.values()) == scikit_learns(model, X, y)
