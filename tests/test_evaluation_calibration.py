"""The reliability curve of evaluate(): scikit-learn's calibration_curve on the same
data, kept with the run and drawn in the report."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB

import nbtrack
from nbtrack.monitoring.evaluation import evaluate_model


def binary(rows: int = 2_000):
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a": rng.normal(size=rows), "b": rng.normal(size=rows)})
    y = np.where(X["a"] - X["b"] + rng.normal(size=rows) > 0.3, "yes", "no")
    return GaussianNB().fit(X, y), X, y


def rows_per_bin(probability):
    """Rows per bin counted by hand: bin b holds (b/10, (b+1)/10], bin 0 also holds 0."""
    return [int(np.sum((probability > b / 10 if b else probability >= 0)
                       & (probability <= (b + 1) / 10))) for b in range(10)]


def test_binary_curve_equals_calibration_curve_with_ten_uniform_bins():
    model, X, y = binary()
    table = evaluate_model(model, X, y).calibration
    probability = model.predict_proba(X)[:, 1]  # of "yes", the second class
    fraction, mean = calibration_curve(y, probability, pos_label="yes", n_bins=10,
                                       strategy="uniform")
    assert list(table.columns) == ["bin", "mean_predicted", "fraction_positive", "rows"]
    assert table["mean_predicted"].tolist() == mean.tolist()
    assert table["fraction_positive"].tolist() == fraction.tolist()
    by_hand = rows_per_bin(probability)
    assert table["rows"].tolist() == [n for n in by_hand if n]
    assert table["bin"].tolist() == [b for b, n in enumerate(by_hand) if n]
    assert table["rows"].sum() == len(X)


def test_a_probability_on_a_bin_edge_falls_in_the_lower_bin():
    from nbtrack.monitoring.calibration import reliability_table

    truth = np.array([0, 1, 1, 0, 1])
    proba = np.array([[0.8, 0.2], [0.7, 0.3], [0.5, 0.5], [0.0, 1.0], [0.9, 0.1]])
    table = reliability_table(truth, proba, [0, 1])
    assert table[["bin", "rows"]].values.tolist() == [[0, 1], [1, 1], [2, 1], [4, 1], [9, 1]]
    fraction, mean = calibration_curve(truth, proba[:, 1], n_bins=10)
    assert table["fraction_positive"].tolist() == fraction.tolist()


def test_multiclass_has_one_curve_per_class_one_vs_rest():
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    table = evaluate_model(model, X, y).calibration
    proba = model.predict_proba(X)
    assert table["class"].unique().tolist() == [0, 1, 2]
    for k in range(3):
        part = table[table["class"] == k]
        fraction, mean = calibration_curve(y == k, proba[:, k], n_bins=10)
        assert part["mean_predicted"].tolist() == mean.tolist()
        assert part["fraction_positive"].tolist() == fraction.tolist()
        assert part["rows"].sum() == len(X)


def test_the_curve_is_kept_with_the_run_and_drawn_in_the_report():
    model, X, y = binary()
    with nbtrack.start_run(name="calibrated") as run:
        result = nbtrack.evaluate(model, X, y)
    stored = pd.read_csv(io.BytesIO(nbtrack.tracker().store.read_artifact(run.run_id,
                                                                          "calibration")))
    assert stored["rows"].tolist() == result.calibration["rows"].tolist()
    assert np.allclose(stored["fraction_positive"], result.calibration["fraction_positive"],
                       rtol=1e-15, atol=0)
    page = result._repr_html_()
    assert page.count("<circle") == len(result.calibration)
    b, mean, fraction, rows = result.calibration.iloc[0]
    assert (f"bin {int(b)}: predicted {mean:.3f}, positive {fraction:.3f}, "
            f"{int(rows):,} rows") in page
    assert "reliability (10 equal bins of predicted probability)" in repr(result)


def test_a_classifier_without_probabilities_has_no_curve():
    from sklearn.svm import LinearSVC

    model, X, y = binary()
    result = evaluate_model(LinearSVC().fit(X, y), X, y)
    assert result.calibration is None
    assert "brier" not in result.metrics
    assert "<svg" not in result._repr_html_()
