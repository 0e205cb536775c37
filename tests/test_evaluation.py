"""evaluate(): every figure is scikit-learn's own, logged to the run; bad input is a
one-line error."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression

import nbtrack
from nbtrack.errors import InvalidValueError
from nbtrack.monitoring.evaluation import evaluate_model


def binary():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400),
                      "group": rng.choice([0, 1], size=400)})
    y = (X["a"] + 0.5 * X["group"] + rng.normal(scale=0.5, size=400) > 0).astype(int)
    return LogisticRegression().fit(X, y), X, y


def test_binary_figures_equal_scikit_learns():
    model, X, y = binary()
    figures = evaluate_model(model, X, y).metrics
    predicted, proba = model.predict(X), model.predict_proba(X)[:, 1]
    assert figures["accuracy"] == metrics.accuracy_score(y, predicted)
    assert figures["precision"] == metrics.precision_score(y, predicted)
    assert figures["recall"] == metrics.recall_score(y, predicted)
    assert figures["f1"] == metrics.f1_score(y, predicted)
    assert figures["roc_auc"] == metrics.roc_auc_score(y, proba)
    assert figures["log_loss"] == metrics.log_loss(y, model.predict_proba(X))
    assert figures["brier"] == metrics.brier_score_loss(y, proba)
    assert set(k for k in figures if k.startswith("importance.")) == {
        "importance.a", "importance.b", "importance.group"}
    assert figures["importance.a"] > figures["importance.b"]


def test_multiclass_uses_macro_averages_and_one_figure_per_class():
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    result = evaluate_model(model, X, y)
    predicted = model.predict(X)
    assert result.metrics["f1"] == metrics.f1_score(y, predicted, average="macro")
    assert result.metrics["recall.2"] == metrics.recall_score(y, predicted, average=None)[2]
    assert result.metrics["roc_auc"] == metrics.roc_auc_score(y, model.predict_proba(X),
                                                              multi_class="ovr")
    assert result.matrix == metrics.confusion_matrix(y, predicted).tolist()


def test_text_labels_and_a_label_the_model_never_saw():
    X, y = load_iris(return_X_y=True, as_frame=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    model = LogisticRegression(max_iter=500).fit(X, names)
    seen = names.copy()
    seen[:5] = "unseen"  # a label of the evaluation data the model was not fitted on
    result = evaluate_model(model, X, seen)
    predicted = model.predict(X)
    classes = list(model.classes_)
    assert result.metrics["accuracy"] == metrics.accuracy_score(seen, predicted)
    assert result.metrics["f1"] == metrics.f1_score(seen, predicted, labels=classes,
                                                    average="macro")
    assert result.metrics["precision.virginica"] == metrics.precision_score(
        seen, predicted, labels=["virginica"], average=None)[0]
    assert result.matrix == metrics.confusion_matrix(seen, predicted, labels=classes).tolist()
    assert math.isnan(result.metrics["roc_auc"]) and math.isnan(result.metrics["log_loss"])
    binary_names = np.where(y == 2, "yes", "no")
    model = LogisticRegression(max_iter=500).fit(X, binary_names)
    figures = evaluate_model(model, X, binary_names).metrics
    proba = model.predict_proba(X)[:, 1]
    assert figures["recall"] == metrics.recall_score(binary_names, model.predict(X),
                                                     pos_label="yes")
    assert figures["roc_auc"] == metrics.roc_auc_score(binary_names, proba)
    assert figures["brier"] == metrics.brier_score_loss(binary_names, proba, pos_label="yes")


def test_roc_auc_is_nan_when_one_class_is_present():
    model, X, y = binary()
    only = y == 1
    assert math.isnan(evaluate_model(model, X[only], y[only]).metrics["roc_auc"])


def test_regression_figures_equal_scikit_learns():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = LinearRegression().fit(X, y)
    figures = evaluate_model(model, X, y).metrics
    predicted = model.predict(X)
    assert figures["mae"] == metrics.mean_absolute_error(y, predicted)
    assert figures["rmse"] == pytest.approx(math.sqrt(metrics.mean_squared_error(y, predicted)))
    assert figures["r2"] == metrics.r2_score(y, predicted)


def test_fairness_by_group_and_its_differences():
    model, X, y = binary()
    result = evaluate_model(model, X, y, sensitive="group")
    table = result.fairness.set_index("group")
    predicted = model.predict(X)
    for group in (0, 1):
        mask = X["group"] == group
        assert table.loc[group, "rows"] == mask.sum()
        assert table.loc[group, "selection_rate"] == np.mean(predicted[mask] == 1)
        assert table.loc[group, "tpr"] == metrics.recall_score(y[mask], predicted[mask])
    rates = table["selection_rate"]
    assert result.metrics["fairness.demographic_parity_difference"] == rates.max() - rates.min()
    assert result.metrics["fairness.demographic_parity_ratio"] == rates.min() / rates.max()


def test_inside_a_tracked_cell_the_figures_go_to_the_cells_run(ip):
    model, X, y = binary()
    ip.user_ns.update(model=model, X=X, y=y)
    assert ip.run_cell("%%track --quiet\nimport nbtrack\nresult = nbtrack.evaluate(model, X, y, "
                       "sensitive='group')", store_history=True).success
    run = nbtrack.get_run(nbtrack.tracker().last_run_id)
    assert run.metrics["accuracy"] == metrics.accuracy_score(y, model.predict(X))
    kinds = {a.name: a.kind for a in run.artifacts}
    assert kinds == {"evaluation_confusion_matrix": "confusion_matrix", "fairness": "table",
                     "calibration": "table"}
    stored = json.loads(nbtrack.tracker().store.read_artifact(run.run_id,
                                                              "evaluation_confusion_matrix"))
    assert stored == {"labels": [0, 1],
                      "matrix": metrics.confusion_matrix(y, model.predict(X)).tolist()}


def test_outside_a_run_it_makes_one_named_evaluate():
    model, X, y = binary()
    nbtrack.evaluate(model, X, y)
    run = nbtrack.get_run(nbtrack.tracker().last_run_id)
    assert run.name == "evaluate"
    assert run.metrics["f1"] == metrics.f1_score(y, model.predict(X))


def test_the_report_has_every_figure_in_html_and_in_text():
    model, X, y = binary()
    result = evaluate_model(model, X, y, sensitive="group")
    page, text = result._repr_html_(), repr(result)
    assert "classification evaluation, 400 rows" in text
    for key in ("accuracy", "roc_auc", "brier", "log_loss",
                "fairness.demographic_parity_ratio"):
        name = key.removeprefix("fairness.")
        assert f"{name} = {result.metrics[key]:.6g}" in text
        assert f"<td>{name}</td><td>{result.metrics[key]:.4g}</td>" in page
    assert page.count("<circle") == len(result.calibration)
    assert result.calibration.to_string(index=False, float_format="{:.4g}".format) in text
    assert "importance: a " in text


def test_fairness_past_a_threshold_is_flagged_in_the_report():
    model, X, y = binary()
    groups = np.where(model.predict(X) == 1, "often", "rarely")
    groups[:10] = "few"
    result = evaluate_model(model, X, y, sensitive=groups)
    assert result.metrics["fairness.demographic_parity_difference"] > 0.9
    assert result.flags == [
        "selection rates differ by 1.000 between groups (over 0.10)",
        "the smallest selection rate is 0.0% of the largest (under 80%, the four-fifths rule)",
        "true-positive rates differ by 1.000 between groups (over 0.10)"]
    assert all(f"flagged: {flag}" in repr(result) for flag in result.flags)
    table = result.fairness.set_index("group")
    assert not table.loc["few", "counted"]
    halves = np.arange(len(X)) % 2
    assert evaluate_model(model, X, y, sensitive=halves).flags == []


@pytest.mark.parametrize("call, message", [
    (lambda m, X, y: evaluate_model(m, X, y, sensitive="nope"),
     "sensitive='nope' is not a column of X"),
    (lambda m, X, y: evaluate_model(m, X, y, sensitive=[0, 1]),
     "sensitive has 2 values for 400 rows of X"),
    (lambda m, X, y: evaluate_model(m, X, y[:10]), "X has 400 rows and y 10 values"),
    (lambda m, X, y: evaluate_model(LogisticRegression(), X, y),
     "the LogisticRegression is not fitted"),
    (lambda m, X, y: evaluate_model(m, X.iloc[:0], y[:0]), "X has no rows"),
])
def test_bad_input_is_a_one_line_error(call, message):
    model, X, y = binary()
    with pytest.raises(InvalidValueError) as caught:
        call(model, X, y)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_fairness_is_for_binary_classifiers():
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    with pytest.raises(InvalidValueError, match="needs a binary classifier .* not 3 classes"):
        evaluate_model(model, X, y, sensitive=np.zeros(len(X)))
