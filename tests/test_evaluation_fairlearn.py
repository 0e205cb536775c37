"""evaluate()'s fairness figures next to fairlearn's on the same predictions.

fairlearn lives in the peer environment (``bench/.venv``, set up by ``make test``), so
``tests/fairlearn_oracle.py`` runs there in a subprocess, reading the true labels,
the predictions and the sensitive column from files. One definition differs on
purpose: nbtrack leaves groups under 30 rows out of the differences and ratio, and
fairlearn counts every group; the data here has such a group, so the figures are
compared with fairlearn's on the rows of the larger groups, and shown to differ from
fairlearn's over all rows.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from nbtrack.monitoring.evaluation import MIN_GROUP, evaluate_model

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"A": 300, "B": 200, "C": 120, "D": 20}


def _peer_python() -> str:
    python = os.environ.get("NBTRACK_MLFLOW_PYTHON") or str(ROOT / "bench/.venv/bin/python")
    if not Path(python).exists():
        pytest.skip(f"no peer Python with fairlearn at {python}: `make test` sets up "
                    "bench/.venv (or set NBTRACK_MLFLOW_PYTHON)")
    return python


def _data():
    rng = np.random.default_rng(5)
    groups = np.concatenate([[g] * n for g, n in SIZES.items()])
    shift = pd.Series(groups).map({"A": 0.0, "B": 0.4, "C": -0.3, "D": 2.5}).to_numpy()
    X = pd.DataFrame({"a": rng.normal(size=len(groups)) + shift,
                      "b": rng.normal(size=len(groups))})
    y = (X["a"] - shift + 0.5 * X["b"] + rng.normal(size=len(groups)) > 0).astype(int)
    model = LogisticRegression().fit(X[groups != "D"], y[groups != "D"])
    return model, X, y.to_numpy(), groups


def _fairlearn(tmp_path: Path, cases: dict[str, tuple]) -> dict[str, dict]:
    paths = []
    for name, (truth, predicted, groups) in cases.items():
        path = tmp_path / f"{name}.npz"
        np.savez(path, y_true=truth, y_pred=predicted, groups=groups.astype(str))
        paths.append(str(path))
    done = subprocess.run([_peer_python(), str(ROOT / "tests/fairlearn_oracle.py"), *paths],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(zip(cases, json.loads(done.stdout), strict=True))


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    model, X, y, groups = _data()
    result = evaluate_model(model, X, y, sensitive=groups)
    predicted = model.predict(X)
    large = np.isin(groups, [g for g, n in SIZES.items() if n >= MIN_GROUP])
    theirs = _fairlearn(tmp_path_factory.mktemp("fairlearn"), {
        "all": (y, predicted, groups), "large": (y[large], predicted[large], groups[large])})
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
