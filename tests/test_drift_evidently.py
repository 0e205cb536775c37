"""Drift next to Evidently: the same frames through ``nbtrack.drift`` and the real Evidently.

Evidently is installed only in the peer venv (``bench/.venv``, or the Python named by
``NBTRACK_MLFLOW_PYTHON``); ``tests/evidently_oracle.py`` runs there and answers with
what Evidently's ``DataDriftPreset`` says on the same parquet files, configured three
ways: its defaults, KS and chi-squared like nbtrack, and PSI everywhere. Where both
compute the same figure it must be equal: KS p-values (and the statistic on the rows
Evidently tests), the rows left after missing values and infinities are dropped,
categorical PSI, and numerical PSI on Evidently's own bins (nbtrack's public ``drift``
cuts its own bins at the reference's deciles and takes none, so that comparison goes
through :func:`nbtrack.monitoring.drift.psi` with the shares Evidently binned). Verdicts
are compared column by column and for the data set; where they differ, the reason is
in ``DIFFERENCES`` (and the README's Monitoring section explains each kind): a new
difference fails the suite, and so does a listed one that no longer occurs.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from nbtrack.monitoring.drift import MIN_ROWS, DriftReport, drift, psi

ROOT = Path(__file__).resolve().parent.parent
PEER = ROOT / "bench/.venv/bin/python"


def _frames(rows: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference and current tables with a known story per column."""
    rng = np.random.default_rng(seed)
    colours = ["red", "green", "blue"]

    def with_gaps(values: np.ndarray, missing: float, infinite: float) -> np.ndarray:
        values = values.copy()
        draw = rng.random(len(values))
        values[draw < missing] = np.nan
        values[(draw >= missing) & (draw < missing + infinite)] = np.inf
        return values

    def t_with_outliers(shift: float) -> np.ndarray:
        values = rng.standard_t(3, rows) + shift
        values[:3] = [-60.0, 45.0, 80.0]
        return values

    reference = pd.DataFrame({
        "x_same": rng.normal(0, 1, rows),
        "x_small_shift": rng.normal(0, 1, rows),
        "x_shift": rng.normal(0, 1, rows),
        "x_wider": rng.normal(0, 1, rows),
        "x_missing": with_gaps(rng.normal(0, 1, rows), 0.10, 0.0),
        "x_outliers_shift": t_with_outliers(0.0),
        "c_same": rng.choice(colours, rows, p=[0.5, 0.3, 0.2]),
        "c_new_level": rng.choice(colours, rows),
        "c_shift": rng.choice(colours, rows, p=[0.4, 0.35, 0.25]),
        "c_missing": pd.Series(rng.choice(colours, rows)).where(rng.random(rows) > 0.05),
        "flag": rng.random(rows) < 0.3,
    })
    current = pd.DataFrame({
        "x_same": rng.normal(0, 1, rows),
        "x_small_shift": rng.normal(0.08, 1, rows),
        "x_shift": rng.normal(0.5, 1, rows),
        "x_wider": rng.normal(0, 1.5, rows),
        "x_missing": with_gaps(rng.normal(0, 1, rows), 0.25, 0.01),
        "x_outliers_shift": t_with_outliers(0.5),
        "c_same": rng.choice(colours, rows, p=[0.5, 0.3, 0.2]),
        "c_new_level": rng.choice(colours + ["purple"], rows, p=[0.27, 0.27, 0.26, 0.2]),
        "c_shift": rng.choice(colours, rows, p=[0.3, 0.35, 0.35]),
        "c_missing": pd.Series(rng.choice(colours, rows)).where(rng.random(rows) > 0.2),
        "flag": rng.random(rows) < 0.3,
    })
    return reference, current


def _vanishing_level(rows: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A level of 1 % gone from the current data, which holds one row of a new level."""
    rng = np.random.default_rng(seed)
    colours = ["red", "green", "blue"]
    current_levels = rng.choice(colours, rows)
    current_levels[0] = "once"
    reference = pd.DataFrame({"x_same": rng.normal(0, 1, rows), "c_vanishing": rng.choice(
        colours + ["teal"], rows, p=[0.33, 0.33, 0.33, 0.01])})
    return reference, pd.DataFrame({"x_same": rng.normal(0, 1, rows),
                                    "c_vanishing": current_levels})


#: Evidently's configurations (tests/evidently_oracle.py) by the name used below.
CONFIGS = ("defaults", "ks_chisquare", "psi")

#: name -> (frames, rows per table, seed, Evidently configurations). Evidently's default
#: test depends on the reference's size (up to 1,000 rows: KS, chi-squared, Z; above:
#: Wasserstein and Jensen–Shannon); up to 8,000 rows every non-empty bin's share is
#: above 1e-4, where both PSIs fill empty bins alike, and at 20,000 rows they differ;
#: under 30 rows nbtrack gives no verdict (Evidently's defaults there are the 600 rows'
#: ones, so two configurations).
CASES = {"600 rows": (_frames, 600, 0, CONFIGS), "8,000 rows": (_frames, 8000, 1, CONFIGS),
         "25 rows": (_frames, 25, 2, ("ks_chisquare", "psi")),
         "20,000 rows": (_vanishing_level, 20000, 3, ("psi",))}
#: the cases with every column and configuration, where every non-empty share is above
#: 1e-4 (so both PSIs fill alike)
MAIN_CASES = ("600 rows", "8,000 rows")

_UNDER_30 = ("fewer than 30 rows a side: nbtrack gives no verdict (insufficient_data); "
             "Evidently tests the 25 rows (its PSI of unshifted x_same is 1.1)")
_PSI_FLOOR = "significant on both, but nbtrack also needs PSI >= 0.10"
_BONFERRONI = ("KS p 0.0049: under 0.05 but not under nbtrack's 0.05/11 (Bonferroni), "
               "and PSI 0.046 is under 0.10")
_STURGES = ("Evidently's PSI bins follow Sturges' rule over the range of both samples: "
            "three outliers stretch them and the 0.5 shift stays inside a bin (PSI "
            "0.005, 0.001); nbtrack's bins at the reference's deciles see it (0.13, 0.16)")
_WASSERSTEIN = ("Evidently's default above 1,000 rows: Wasserstein distance over the "
                "reference's std, drift from 0.1 (0.11 for this 0.08 std shift); nbtrack: "
                "KS significant but PSI 0.014")
_MAJOR = ("nbtrack's data set also drifts when any feature is major (c_new_level, PSI "
          "1.5); Evidently's only when at least half the columns drift")

_FILL = ("Evidently fills the gone level's empty share with the current side's smallest "
         "share (one row: 5e-5) over a million: PSI 0.19; nbtrack counts it as 1e-4: 0.046")

#: (case, Evidently configuration, column or "data set") -> why the verdicts differ.
DIFFERENCES: dict[tuple[str, str, str], str] = {
    ("600 rows", "defaults", "x_small_shift"): _BONFERRONI,
    ("600 rows", "ks_chisquare", "x_small_shift"): _BONFERRONI,
    ("600 rows", "psi", "x_outliers_shift"): _STURGES,
    ("600 rows", "psi", "data set"): _MAJOR,
    ("8,000 rows", "defaults", "x_small_shift"): _WASSERSTEIN,
    ("8,000 rows", "defaults", "data set"): _MAJOR,
    ("8,000 rows", "ks_chisquare", "x_small_shift"): _PSI_FLOOR + " (KS p 3e-8, PSI 0.014)",
    ("8,000 rows", "ks_chisquare", "c_shift"): _PSI_FLOOR + (
        " (chi-squared p: Evidently's goodness of fit 1e-103, nbtrack's 2 x k 2e-49; PSI "
        "0.057)"),
    ("8,000 rows", "psi", "x_outliers_shift"): _STURGES,
    ("8,000 rows", "psi", "data set"): _MAJOR,
    ("20,000 rows", "psi", "c_vanishing"): _FILL,
    ("20,000 rows", "psi", "data set"): _FILL + "; 1 of 2 columns is Evidently's 0.5 share",
    **{("25 rows", "ks_chisquare", column): _UNDER_30
       for column in ("c_same", "c_new_level", "flag")},
    **{("25 rows", "psi", column): _UNDER_30
       for column in ("x_same", "x_small_shift", "x_shift", "x_wider", "x_missing",
                      "c_same", "c_new_level", "c_shift", "c_missing", "flag", "data set")},
}


def _peer_python() -> Path:
    python = Path(os.environ.get("NBTRACK_MLFLOW_PYTHON") or PEER)
    if not python.exists():
        pytest.skip(f"no peer venv at {python}: `make test` creates it with Evidently "
                    "(bench/mlflow-requirements.txt), or set NBTRACK_MLFLOW_PYTHON")
    return python


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> dict[str, tuple[DriftReport, dict[str, Any]]]:
    """Per case: nbtrack's report and Evidently's answers on the same frames."""
    python = _peer_python()
    folder = tmp_path_factory.mktemp("evidently")
    ours, cases = {}, []
    for name, (frames, rows, seed, configs) in CASES.items():
        reference, current = frames(rows, seed)
        slug = name.replace(",", "").replace(" ", "_")
        paths = {side: folder / f"{slug}.{side}.parquet" for side in ("reference", "current")}
        reference.to_parquet(paths["reference"])
        current.to_parquet(paths["current"])
        report = drift(reference, current)
        types = dict(zip(report.features["feature"], report.features["type"], strict=True))
        ours[name] = report
        cases.append({"name": name, **{side: str(p) for side, p in paths.items()},
                      "configs": list(configs), "capture": rows >= MIN_ROWS,
                      "numerical": [c for c in reference if types[c] == "numeric"],
                      "categorical": [c for c in reference if types[c] == "categorical"]})
    env = {**os.environ, "DO_NOT_TRACK": "1"}
    done = subprocess.run([str(python), str(ROOT / "tests/evidently_oracle.py")],
                          input=json.dumps({"cases": cases}), capture_output=True, text=True,
                          timeout=300, cwd=folder, env=env)
    if done.returncode != 0 and "No module named 'evidently'" in done.stderr:
        pytest.fail(f"{python} has no Evidently: run `{python} -m pip install -r "
                    "bench/mlflow-requirements.txt`")
    assert done.returncode == 0, done.stderr[-3000:]
    theirs = json.loads(done.stdout)
    return {name: (ours[name], theirs[name]) for name in CASES}


def _rows(report: DriftReport) -> dict[str, Any]:
    return {str(r["feature"]): r for r in report.features.to_dict("records")}


def test_both_test_the_same_rows_once_missing_values_and_infinities_are_dropped(compared):
    captured = {name: pair for name, pair in compared.items() if pair[1]["rows"] is not None}
    assert sorted(captured) == ["20,000 rows", "600 rows", "8,000 rows"]
    for name, (report, theirs) in captured.items():
        ours = _rows(report)
        counts = {c: (ours[c]["n_reference"], ours[c]["n_current"]) for c in ours}
        assert counts == {c: (r["n_reference"], r["n_current"])
                          for c, r in theirs["rows"].items()}, name
    # what is dropped: x_missing's NaN (both sides) and infinities (current)
    reference, current = _frames(600, CASES["600 rows"][2])
    x_missing = _rows(captured["600 rows"][0])["x_missing"]
    finite = [int(np.isfinite(side["x_missing"]).sum()) for side in (reference, current)]
    assert [x_missing["n_reference"], x_missing["n_current"]] == finite
    assert x_missing["n_current"] < x_missing["n_reference"] < 600


def test_ks_p_values_and_statistics_are_evidentlys(compared):
    checked = 0
    for name in MAIN_CASES:
        report, theirs = compared[name]
        for column, ours in _rows(report).items():
            if ours["type"] != "numeric" or ours["status"] != "ok":
                continue
            evidently = theirs["configs"]["ks_chisquare"]["columns"][column]
            assert evidently["method"] == "ks"
            assert ours["p_value"] == pytest.approx(evidently["score"], rel=1e-9, abs=0), \
                (name, column)
            assert ours["statistic"] == pytest.approx(
                theirs["rows"][column]["ks_statistic"], rel=1e-9, abs=0), (name, column)
            checked += 1
    assert checked == 12


def test_categorical_psi_is_evidentlys(compared):
    checked = 0
    for name in MAIN_CASES:
        report, theirs = compared[name]
        for column, ours in _rows(report).items():
            if ours["type"] != "categorical" or ours["status"] != "ok":
                continue
            evidently = theirs["configs"]["psi"]["columns"][column]
            assert evidently["method"] == "psi"
            assert ours["psi"] == pytest.approx(evidently["score"], rel=1e-9), (name, column)
            checked += 1
    assert checked == 10


def test_numerical_psi_on_evidentlys_bins_is_evidentlys(compared):
    """nbtrack's ``psi`` over the shares of Evidently's bins (Sturges' rule over the
    range of both samples together) gives Evidently's PSI."""
    checked = 0
    for name in MAIN_CASES:
        report, theirs = compared[name]
        for column, ours in _rows(report).items():
            if ours["type"] != "numeric" or ours["status"] != "ok":
                continue
            ref_shares, cur_shares = theirs["rows"][column]["psi_shares"]
            evidently = theirs["configs"]["psi"]["columns"][column]["score"]
            assert psi(ref_shares, cur_shares) == pytest.approx(evidently, rel=1e-9), \
                (name, column)
            checked += 1
    assert checked == 12


def test_evidentlys_bins_are_sturges_over_both_samples(compared):
    """What the README says of Evidently's PSI binning, checked on its own shares."""
    report, theirs = compared["8,000 rows"]
    reference, current = _frames(8000, CASES["8,000 rows"][2])
    for column in ("x_same", "x_outliers_shift"):
        ref = reference[column][np.isfinite(reference[column])]
        cur = current[column][np.isfinite(current[column])]
        edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        mine = [np.histogram(side, edges)[0] / len(side) for side in (ref, cur)]
        assert [list(s) for s in mine] == theirs["rows"][column]["psi_shares"]


def test_where_a_share_is_at_most_1e_4_evidently_fills_empty_bins_with_a_millionth_of_it(
        compared):
    """Evidently fills an empty bin with 1e-4, or with the side's smallest share over a
    million when that is at most 1e-4; nbtrack counts every share under 1e-4 as 1e-4. A
    level gone from 20,000 current rows that hold one row of a new level: Evidently's
    empty share is 5e-11, and its PSI four times nbtrack's."""
    report, theirs = compared["20,000 rows"]
    ref_shares, cur_shares = (np.array(s) for s in theirs["rows"]["c_vanishing"]["psi_shares"])
    filled = []
    for shares in (ref_shares, cur_shares):
        smallest = shares[shares > 0].min()
        filled.append(np.where(shares > 0, shares, smallest / 1e6 if smallest <= 1e-4
                               else 1e-4))
    evidently = theirs["configs"]["psi"]["columns"]["c_vanishing"]["score"]
    assert evidently == pytest.approx(float(np.sum((filled[1] - filled[0]) * np.log(
        filled[1] / filled[0]))), rel=1e-9)
    ours = _rows(report)["c_vanishing"]["psi"]
    assert ours == pytest.approx(psi(ref_shares, cur_shares), rel=1e-12)
    assert evidently > 3 * ours


def test_chi_squared_is_evidentlys_goodness_of_fit_on_nbtracks_counts(compared):
    """Evidently's chi-squared tests the current counts against the reference's shares
    (goodness of fit); nbtrack's tests the 2 × k table (homogeneity). On nbtrack's level
    counts, scipy's goodness-of-fit test gives Evidently's p-value, so the counts agree
    and the figures differ by the test alone."""
    checked = 0
    for name in MAIN_CASES:
        report, theirs = compared[name]
        for column, ours in _rows(report).items():
            if ours["type"] != "categorical" or ours["status"] != "ok":
                continue
            ref_shares, cur_shares = (np.array(s) for s in ours["shares"])
            ref_counts = np.rint(ref_shares * ours["n_reference"])
            cur_counts = np.rint(cur_shares * ours["n_current"])
            with np.errstate(divide="ignore"):
                expected = stats.chisquare(
                    cur_counts, ref_counts * ours["n_current"] / ours["n_reference"]).pvalue
            evidently = theirs["configs"]["ks_chisquare"]["columns"][column]
            assert evidently["method"] == "chisquare"
            assert evidently["score"] == pytest.approx(expected, rel=1e-9, abs=0), \
                (name, column)
            checked += 1
    assert checked == 10


def _differences(compared) -> dict[tuple[str, str, str], str]:
    found = {}
    for name, (report, theirs) in compared.items():
        ours = _rows(report)
        for config, answer in theirs["configs"].items():
            for column, evidently in answer["columns"].items():
                if bool(ours[column]["drifted"]) != evidently["drifted"]:
                    found[(name, config, column)] = (
                        f"nbtrack {'drift' if ours[column]['drifted'] else 'no drift'} "
                        f"({ours[column]['status']}, p {ours[column]['p_value']:.3g}, "
                        f"PSI {ours[column]['psi']:.3f}); Evidently "
                        f"{evidently['method']} {evidently['score']:.3g} "
                        f"(threshold {evidently['threshold']})")
            if report.drift_detected != answer["drifted"]:
                found[(name, config, "data set")] = (
                    f"nbtrack {report.drift_detected} (share {report.share:.2f}, max PSI "
                    f"{report.max_psi:.3f}); Evidently {answer['drifted']} "
                    f"(share {answer['share']:.2f})")
    return found


def test_every_verdict_agrees_with_evidentlys_or_is_a_listed_difference(compared):
    found = _differences(compared)
    unexplained = {case: why for case, why in found.items() if case not in DIFFERENCES}
    assert unexplained == {}
    gone = sorted(set(DIFFERENCES) - set(found))
    assert gone == [], "listed as differences but now agreeing: update DIFFERENCES and README"


def test_the_verdicts_compared_include_agreeing_drift_and_no_drift(compared):
    """The comparison is not vacuous: both find drift, and both find none, somewhere."""
    agree = {True: 0, False: 0}
    for report, theirs in compared.values():
        ours = _rows(report)
        for answer in theirs["configs"].values():
            for column, evidently in answer["columns"].items():
                if bool(ours[column]["drifted"]) == evidently["drifted"]:
                    agree[evidently["drifted"]] += 1
    assert min(agree.values()) >= 10, agree
