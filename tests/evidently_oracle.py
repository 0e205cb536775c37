"""What the real Evidently answers on the drift side-by-side cases.

Run with the Python that has Evidently installed (the peer venv, not nbtrack's test
environment): reads ``{"cases": [{"name", "reference", "current", "numerical",
"categorical", "configs", "capture"}]}`` as JSON on stdin (the frames are parquet
files), and prints, per case, as JSON:

- ``configs``: for each asked way of configuring Evidently's ``DataDriftPreset``
  (``defaults``; ``ks_chisquare``: KS for numerical and chi-squared for categorical
  columns; ``psi``: PSI for every column) each column's method, threshold, score (a
  p-value or a distance) and drift verdict, and the data set's drifted share and
  verdict, all read from the report's metrics and tests;
- ``rows`` (with ``capture``, else null): per column, the rows Evidently's drift tests
  receive (after its own
  clean-up of missing values and infinities), captured by a test registered for that
  purpose: their counts, the shares of Evidently's PSI binning on them
  (``get_binned_data`` without its filling of empty bins), and for numerical columns
  the KS statistic scipy computes on them (Evidently reports only the p-value).
"""

from __future__ import annotations

import json
import logging
import sys
import warnings
from typing import Any

CAPTURE = "rows_seen_by_evidently"


def _options(config: str, numerical: list[str], categorical: list[str]) -> dict[str, Any]:
    """The ``DataDriftPreset`` arguments of a configuration."""
    per_column = {**{c: "ks" for c in numerical}, **{c: "chisquare" for c in categorical}}
    return {"defaults": {}, "ks_chisquare": {"per_column_method": per_column},
            "psi": {"method": "psi"}}[config]


def _read(snapshot: Any) -> dict[str, Any]:
    """Per-column verdicts and the data set's from a report run with its tests."""
    report = snapshot.dict()
    metrics = {m["id"]: m for m in report["metrics"]}
    columns: dict[str, dict[str, Any]] = {}
    share, data_set_drift = None, None
    for test in report["tests"]:
        params = test["metric_config"]["params"]
        metric = metrics[test["metric_config"]["metric_id"]]
        # a test FAILs when it finds drift (the data set's: share of drifted columns not
        # below drift_share)
        drifted = test["status"] == "FAIL"
        if params["type"].endswith(":ValueDrift"):
            columns[params["column"]] = {"method": params["method"],
                                         "threshold": params["threshold"],
                                         "score": metric["value"], "drifted": drifted}
        else:
            share, data_set_drift = metric["value"]["share"], drifted
    return {"columns": columns, "share": share, "drifted": data_set_drift}


def _captured_rows(numerical: list[str], categorical: list[str], current: Any,
                   reference: Any) -> dict[str, dict[str, Any]]:
    from evidently import Report
    from evidently.legacy.calculations.stattests.registry import StatTest, register_stattest
    from evidently.legacy.calculations.stattests.utils import get_binned_data
    from evidently.legacy.core import ColumnType
    from evidently.metrics import ValueDrift
    from scipy import stats

    seen: dict[str, Any] = {}

    def capture(reference_data: Any, current_data: Any, feature_type: Any,
                threshold: float) -> tuple[float, bool]:
        seen[str(reference_data.name)] = (reference_data, current_data, feature_type)
        return 0.0, False

    register_stattest(StatTest(name=CAPTURE, display_name="rows seen",
                               allowed_feature_types=[ColumnType.Numerical,
                                                      ColumnType.Categorical]), capture)
    Report([ValueDrift(column=c, method=CAPTURE) for c in numerical + categorical]).run(
        current, reference)
    rows = {}
    for column, (ref, cur, kind) in seen.items():
        ref_shares, cur_shares = get_binned_data(ref, cur, kind, 30, feel_zeroes=False)
        rows[column] = {"n_reference": len(ref), "n_current": len(cur),
                        "psi_shares": [list(map(float, ref_shares)),
                                       list(map(float, cur_shares))]}
        if kind == ColumnType.Numerical:
            rows[column]["ks_statistic"] = float(stats.ks_2samp(ref, cur).statistic)
    return rows


def _answer(case: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    numerical, categorical = case["numerical"], case["categorical"]
    definition = DataDefinition(numerical_columns=numerical, categorical_columns=categorical)
    reference = Dataset.from_pandas(pd.read_parquet(case["reference"]),
                                    data_definition=definition)
    current = Dataset.from_pandas(pd.read_parquet(case["current"]),
                                  data_definition=definition)
    configs = {config: _read(Report([DataDriftPreset(**_options(config, numerical,
                                                                categorical))],
                                    include_tests=True).run(current, reference))
               for config in case["configs"]}
    rows = _captured_rows(numerical, categorical, current, reference) if case["capture"] \
        else None
    return {"configs": configs, "rows": rows}


def main() -> None:
    spec = json.load(sys.stdin)
    logging.disable(logging.WARNING)
    # its chi-squared divides by a zero expected count for a level new in the current data
    warnings.simplefilter("ignore")
    answers = {case["name"]: _answer(case) for case in spec["cases"]}
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
