"""evaluate()'s fairness figures next to fairlearn's own functions on the same predictions.

nbtrack computes the table with fairlearn's ``MetricFrame``; this checks what it makes
of it: the groups, their order and rows, the rates of each, and the one definition that
differs on purpose (nbtrack leaves groups under 30 rows out of the differences and
ratio, and fairlearn's functions count every group): the data here has such a group, so
the figures are compared with fairlearn's on the rows of the larger groups, and shown to
differ from fairlearn's over all rows. Also: a group without positive rows has no TPR
(fairlearn's function says 0), and without fairlearn installed ``sensitive=`` is a
one-line error naming the extra.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (MetricFrame, count, demographic_parity_difference,
                               demographic_parity_ratio, equal_opportunity_difference,
                               false_positive_rate, selection_rate, true_positive_rate)
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score

from nbtrack.errors import InvalidValueError
from nbtrack.monitoring.evaluation import MIN_GROUP, evaluate_model

SIZES = {"A": 300, "B": 200, "C": 120, "D": 20}


def _data():
    rng = np.random.default_rng(5)
    groups = np.concatenate([[g] * n for g, n in SIZES.items()])
    shift = pd.Series(groups).map({"A": 0.0, "B": 0.4, "C": -0.3, "D": 2.5}).to_numpy()
    X = pd.DataFrame({"a": rng.normal(size=len(groups)) + shift,
                      "b": rng.normal(size=len(groups))})
    y = (X["a"] - shift + 0.5 * X["b"] + rng.normal(size=len(groups)) > 0).astype(int)
    model = LogisticRegression().fit(X[groups != "D"], y[groups != "D"])
    return model, X, y.to_numpy(), groups


def _fairlearn(y_true, y_pred, groups) -> dict:
    frame = MetricFrame(metrics={"count": count, "selection_rate": selection_rate,
                                 "tpr": true_positive_rate, "fpr": false_positive_rate,
                                 "accuracy": accuracy_score},
                        y_true=y_true, y_pred=y_pred, sensitive_features=groups)
    return {"by_group": {str(group): {k: float(v) for k, v in row.items()}
                         for group, row in frame.by_group.iterrows()},
            "demographic_parity_difference": float(demographic_parity_difference(
                y_true, y_pred, sensitive_features=groups)),
            "demographic_parity_ratio": float(demographic_parity_ratio(
                y_true, y_pred, sensitive_features=groups)),
            "equal_opportunity_difference": float(equal_opportunity_difference(
                y_true, y_pred, sensitive_features=groups)),
            "tpr_difference": float(frame.difference()["tpr"])}


@pytest.fixture(scope="module")
def compared():
    model, X, y, groups = _data()
    result = evaluate_model(model, X, y, sensitive=groups)
    predicted = model.predict(X)
    large = np.isin(groups, [g for g, n in SIZES.items() if n >= MIN_GROUP])
    theirs = {"all": _fairlearn(y, predicted, groups),
              "large": _fairlearn(y[large], predicted[large], groups[large])}
    return result, theirs


def test_the_table_by_group_equals_metricframe_by_group(compared):
    result, theirs = compared
    table = result.fairness.set_index("group")
    assert sorted(table.index) == sorted(theirs["all"]["by_group"]) == list(SIZES)
    for group, figures in theirs["all"]["by_group"].items():
        assert table.loc[group, "rows"] == figures["count"] == SIZES[group]
        for ours, their in (("selection_rate", "selection_rate"), ("tpr", "tpr"),
                            ("fpr", "fpr"), ("accuracy", "accuracy")):
            assert table.loc[group, ours] == pytest.approx(figures[their], abs=1e-12), \
                (group, ours)
    assert table["counted"].to_dict() == {g: n >= MIN_GROUP for g, n in SIZES.items()}


def test_differences_equal_fairlearns_over_the_groups_of_30_rows_or_more(compared):
    result, theirs = compared
    large = theirs["large"]
    for name in ("demographic_parity_difference", "demographic_parity_ratio",
                 "equal_opportunity_difference"):
        assert result.metrics[f"fairness.{name}"] == pytest.approx(large[name], abs=1e-12), name
    assert large["tpr_difference"] == pytest.approx(large["equal_opportunity_difference"],
                                                    abs=1e-12)


def test_the_small_group_is_what_separates_the_two_definitions(compared):
    result, theirs = compared
    everything = theirs["all"]
    table = result.fairness.set_index("group")
    assert table.loc["D", "selection_rate"] > 0.9  # the 20 rows are nearly all selected
    for name in ("demographic_parity_difference", "demographic_parity_ratio"):
        assert abs(result.metrics[f"fairness.{name}"] - everything[name]) > 0.1, name
    rates = table["selection_rate"]  # all four groups: fairlearn's definition
    assert everything["demographic_parity_difference"] == pytest.approx(
        rates.max() - rates.min(), abs=1e-12)
    assert everything["demographic_parity_ratio"] == pytest.approx(
        rates.min() / rates.max(), abs=1e-12)


def test_a_group_without_positive_rows_has_no_tpr_and_no_say_in_equal_opportunity():
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a": rng.normal(size=200)})
    y = (X["a"] > 0).astype(int).to_numpy().copy()
    groups = np.where(np.arange(200) < 120, "many", "few")
    y[groups == "few"] = 0  # no positives in that group
    model = LogisticRegression().fit(X, (X["a"] > 0).astype(int))
    result = evaluate_model(model, X, y, sensitive=groups)
    table = result.fairness.set_index("group")
    assert np.isnan(table.loc["few", "tpr"])
    assert true_positive_rate(y[groups == "few"], model.predict(X)[groups == "few"]) == 0
    assert table.loc["few", "fpr"] > 0.3  # its predicted positives are all false
    assert "fairness.equal_opportunity_difference" not in result.metrics
    assert "fairness.demographic_parity_difference" in result.metrics


def test_without_fairlearn_sensitive_is_a_one_line_error_naming_the_extra(monkeypatch):
    model, X, y, groups = _data()
    monkeypatch.setitem(sys.modules, "fairlearn.metrics", None)  # import fails
    with pytest.raises(InvalidValueError, match=r"pip install 'nbtrack\[fairness\]'") as err:
        evaluate_model(model, X, y, sensitive=groups)
    assert "\n" not in str(err.value)
    assert evaluate_model(model, X, y).fairness is None  # without sensitive= it works
