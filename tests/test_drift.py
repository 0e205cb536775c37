"""Drift: calibrated on synthetic data with known answers, and its edge states."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import nbtrack
from nbtrack.errors import InvalidValueError
from nbtrack.monitoring.drift import drift, psi


def frames(rng, rows=1000, shift=0.0, features=10):
    ref = pd.DataFrame({f"x{i}": rng.normal(size=rows) for i in range(features)})
    cur = pd.DataFrame({f"x{i}": rng.normal(size=rows) for i in range(features)})
    cur["x0"] += shift
    return ref, cur


def test_without_a_shift_the_data_set_is_flagged_in_at_most_five_percent_of_trials():
    rng = np.random.default_rng(0)
    flagged = sum(drift(*frames(rng)).drift_detected for _ in range(200))
    assert flagged <= 10, flagged


def test_a_half_sigma_shift_in_one_of_ten_features_is_found_in_95_percent_of_trials():
    rng = np.random.default_rng(1)
    found = 0
    for _ in range(200):
        report = drift(*frames(rng, shift=0.5))
        found += report.drifted == ["x0"]
    assert found >= 190, found


def test_psi_equals_a_hand_computed_example():
    ref, cur = [0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]
    expected = sum((c - r) * math.log(c / r) for r, c in zip(ref, cur))
    assert psi(ref, cur) == pytest.approx(expected, abs=1e-9)
    assert psi([0.5, 0.5, 0.0], [0.5, 0.25, 0.25]) == pytest.approx(
        (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.25 - 1e-4) * math.log(0.25 / 1e-4), abs=1e-9)


def test_ks_statistics_are_scipys():
    rng = np.random.default_rng(2)
    ref, cur = frames(rng, shift=0.3, features=1)
    row = drift(ref, cur).features.iloc[0]
    expected = stats.ks_2samp(ref["x0"], cur["x0"])
    assert (row["statistic"], row["p_value"]) == (pytest.approx(expected.statistic, abs=1e-12),
                                                   pytest.approx(expected.pvalue, rel=1e-9))


def test_a_new_category_in_the_current_data_is_detected():
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"colour": rng.choice(["red", "green", "blue"], size=1000)})
    cur = pd.DataFrame({"colour": rng.choice(["red", "green", "blue", "purple"], size=1000,
                                             p=[0.2, 0.2, 0.2, 0.4])})
    row = drift(ref, cur).features.iloc[0]
    assert (row["type"], row["test"], row["drifted"], row["severity"]) == (
        "categorical", "chi2", True, "major")


def test_small_integer_codes_are_categorical_and_datetimes_are_skipped():
    ref = pd.DataFrame({"code": [1, 2, 3] * 20, "when": pd.date_range("2026-01-01", periods=60)})
    report = drift(ref, ref.copy())
    assert report.features["feature"].tolist() == ["code"]
    assert report.features.iloc[0]["type"] == "categorical"


def test_numbers_are_numeric_from_11_distinct_values_in_both_tables_together():
    late = np.r_[np.ones(1500), np.arange(100.0)]  # its first rows hold one value
    apart = np.r_[np.arange(6.0), np.zeros(1594)]  # 6 values here, 6 others below
    ref = pd.DataFrame({"late": late, "apart": apart, "few": np.arange(1600.0) % 10})
    cur = pd.DataFrame({"late": late, "apart": apart + 10, "few": np.arange(1600.0) % 10})
    types = dict(zip(*[drift(ref, cur).features[c] for c in ("feature", "type")]))
    assert types == {"late": "numeric", "apart": "numeric", "few": "categorical"}


def test_levels_are_values_as_text_and_unused_categories_are_no_levels():
    ref = pd.DataFrame({"mixed": pd.Series([1, "1", "x"] * 20, dtype=object),
                        "kind": pd.Categorical(["u", "v"] * 30, categories=["u", "v", "w"])})
    cur = ref.iloc[::-1].reset_index(drop=True)
    shares = dict(zip(*[drift(ref, cur).features[c] for c in ("feature", "shares")]))
    assert shares == {"mixed": ([2 / 3, 1 / 3], [2 / 3, 1 / 3]),
                      "kind": ([0.5, 0.5], [0.5, 0.5])}


def test_insufficient_and_empty_columns_are_states_not_errors():
    ref = pd.DataFrame({"few": [1.0] * 10 + [np.nan] * 90, "none": [np.nan] * 100,
                        "ok": np.arange(100.0)})
    cur = pd.DataFrame({"few": np.arange(100.0), "none": np.arange(100.0),
                        "ok": np.arange(100.0)})
    states = dict(zip(*[drift(ref, cur).features[c] for c in ("feature", "status")]))
    assert states == {"few": "insufficient_data", "none": "empty", "ok": "ok"}
    row = drift(ref, cur).features.set_index("feature").loc["few"]
    assert (row["missing_reference"], row["missing_current"], row["missingness_shift"]) == (
        0.9, 0.0, True)


def test_bad_arguments_get_one_line_errors():
    ref = pd.DataFrame({"a": [1.0] * 40})
    with pytest.raises(InvalidValueError, match="correction must be one of bonferroni, fdr"):
        drift(ref, ref, correction="holm")
    with pytest.raises(InvalidValueError, match="column b missing"):
        drift(ref, ref, columns=["b"])
    with pytest.raises(InvalidValueError, match="reference must be a pandas DataFrame"):
        drift([1, 2], ref)


def test_the_report_is_stored_as_a_monitor_run_and_shows_as_html():
    rng = np.random.default_rng(4)
    report = nbtrack.drift(*frames(rng, shift=1.0, features=3))
    run = nbtrack.get_run(nbtrack.runs(filter="tags.`nbtrack.kind` = 'monitor'")["run_id"][0])
    assert run.metrics["drift.share"] == pytest.approx(1 / 3)
    assert run.metrics["drift.detected"] == 1.0  # a major feature drifts the data set
    assert run.metrics["drift.psi.x0"] == pytest.approx(report.features.iloc[0]["psi"])
    page = report._repr_html_()
    assert "drift detected: 1 of 3 features drifted" in page and ">major<" in page
    # each feature: its 10 decile bins as a reference and a current bar
    assert page.count("<svg") == 3 and page.count("<rect") == 60


def test_the_drift_command_compares_two_notebook_dataframes(ip):
    from IPython.core.error import UsageError

    rng = np.random.default_rng(5)
    ref, cur = frames(rng, shift=1.0, features=2)
    ip.user_ns.update(ref=ref, cur=cur)
    report = ip.run_line_magic("track", "drift ref cur --no-record")
    assert report.drifted == ["x0"]
    with pytest.raises(UsageError, match="no variable 'nope' in the notebook"):
        ip.run_line_magic("track", "drift ref nope")
