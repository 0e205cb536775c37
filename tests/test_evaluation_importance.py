"""Permutation importance in evaluate(): the score drop when a feature is shuffled, on a
seeded sample, with the shuffles the module documents; close to scikit-learn's own
permutation_importance on the same rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import Lasso, LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from nbtrack.monitoring.evaluation import evaluate_model
from nbtrack.monitoring.importance import (IMPORTANCE_ROWS, REPEATS, importance_sample,
                                           permutation_importances)


def frame(rows: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(size=rows), "b": rng.normal(size=rows),
                         "c": rng.normal(size=rows)})


def by_hand(model, X, y, score, plain=False):
    """The documented computation: one default_rng(0), for each feature in column order,
    for each repeat, a permutation of the rows of the seeded sample."""
    picks = importance_sample(len(y))
    sample, truth = X.iloc[picks].reset_index(drop=True), np.asarray(y)[picks]

    def predict(table):
        return model.predict(table.to_numpy() if plain else table)

    baseline = score(truth, predict(sample))
    rng = np.random.default_rng(0)
    out = {}
    for column in X.columns:
        drops = []
        for _ in range(REPEATS):
            shuffled = sample.copy()
            shuffled[column] = sample[column].to_numpy()[rng.permutation(len(picks))]
            drops.append(baseline - score(truth, predict(shuffled)))
        out[column] = np.mean(drops)
    return out


def test_on_many_rows_it_is_the_documented_computation_on_the_seeded_sample():
    X = frame(IMPORTANCE_ROWS + 2_000)
    y = (X["a"] - 0.5 * X["b"] > 0).astype(int).to_numpy()
    model = LogisticRegression().fit(X, y)
    ours = evaluate_model(model, X, y).metrics
    expected = by_hand(model, X, y, accuracy_score)
    assert {k: ours[f"importance.{k}"] for k in "abc"} == pytest.approx(expected, abs=1e-15)
    assert len(importance_sample(len(X))) == IMPORTANCE_ROWS


def test_regressors_are_scored_by_r2():
    X = frame(500)
    y = 3 * X["a"] + X["b"] + np.random.default_rng(2).normal(size=500)
    model = LinearRegression().fit(X, y)
    ours = permutation_importances(model, X, y.to_numpy(), classifier=False)
    assert ours == pytest.approx(by_hand(model, X, y, r2_score), abs=1e-12)


def test_it_agrees_with_scikit_learns_permutation_importance_on_the_same_rows():
    X = frame(8_000)
    y = (X["a"] - 0.5 * X["b"] + 0.1 * X["c"] > 0).astype(int).to_numpy()
    model = LogisticRegression().fit(X, y)
    ours = permutation_importances(model, X, y, classifier=True)
    theirs = permutation_importance(model, X, y, n_repeats=REPEATS, random_state=0)
    # other shuffles, the same expectation: 5 repeats on 8,000 rows differ by ~0.003
    assert list(ours.values()) == pytest.approx(theirs.importances_mean.tolist(), abs=0.015)
    assert ours["a"] > ours["b"] > ours["c"] > 0


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
    assert ours == pytest.approx(by_hand(model, pd.DataFrame(X, columns=list(ours)), y,
                                         accuracy_score, plain=True), abs=1e-15)
