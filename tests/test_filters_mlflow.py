"""Filters answer like MLflow's: the same cases against nbtrack and the real MLflow package.

The runs below are recorded in an nbtrack store and, by ``tests/mlflow_oracle.py``
run with the Python that has MLflow (``NBTRACK_MLFLOW_PYTHON``; ``make test`` sets
up ``bench/.venv`` and passes it), in an MLflow SQLite store. Every case is a filter
string and an order_by list, written from MLflow's documented grammar and the
shapes of its public search tests. A case agrees when both answer the same runs in
the same order, or both reject it. The cases where nbtrack deliberately answers
otherwise are listed in ``DIFFERENCES`` with the reason, and the README's filter
section lists each of them: a new difference fails the suite, and so does a listed
difference that no longer occurs.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from nbtrack.entities import Metric, Run, RunStatus
from nbtrack.errors import FilterSyntaxError
from nbtrack.filters import parse_filter, parse_order_by
from nbtrack.store import open_store

ROOT = Path(__file__).resolve().parent.parent
T0 = 1_800_000_000.0


def _runs() -> list[dict[str, Any]]:
    models = ["rf", "lr", "svm", "RandomForest", "rf_v2"]
    cs = [0.1, 1.0, 10.0, 1, 100, 0.5]
    paths = {3: "C:\\temp\\data", 4: "a_b", 5: "a%b", 6: "axb", 7: "a\\zb", 8: "a\\_b",
             9: "it's", 10: 'say "hi"'}
    runs = []
    for i in range(30):
        params: dict[str, Any] = {"model": models[i % 5], "C": cs[i % 6],
                                  "lr": [1e-05, 0.001, 0.1][i % 3], "n": [5, 10, 100, 9][i % 4]}
        if i % 4 != 3:
            params["opt"] = None if i % 4 == 0 else ("adam" if i % 4 == 1 else "sgd")
        if i % 5 == 0:
            params["layers"] = [64, 32]
        elif i % 5 == 1:
            params["layers"] = {"a": 1}
        if i < 10:
            params["flag"] = i % 2 == 0
        if i in paths:
            params["path"] = paths[i]
        if i % 3 == 0:
            params["精度"] = "high"
        if i % 2 == 0:
            params["model-type"] = "tree"
        metrics: dict[str, float] = {}
        special = {5: math.nan, 17: math.nan, 11: math.inf, 12: -math.inf, 14: 0.0}
        if i != 13:
            metrics["acc"] = special.get(i, round(0.5 + 0.015 * i, 3))
        if i % 2 == 0:
            metrics["loss"] = round(1 / (i + 1), 4)
        if i % 3 == 1:
            metrics["error rate"] = round(0.1 * i, 2)
        tags = {"split": "a" if i % 2 else "b", "n": ["5", "10", "100", "9"][i % 4]}
        if i == 2:
            tags["note"] = "a\\b"
        status = {3: "FAILED", 15: "FAILED", 20: "KILLED", 25: "RUNNING"}.get(i, "FINISHED")
        runs.append({"name": f"run-{i:02d}", "start_time": T0 + 10 * i, "params": params,
                     "metrics": metrics, "tags": tags, "status": status})
    return runs


#: (filter, order_by) pairs; an empty order_by is the default order (newest first).
CASES: list[tuple[str, list[str]]] = [
    # metrics
    ("metrics.acc > 0.8", []),
    ("metrics.acc >= 0.83", []),
    ("metrics.acc < 0.6", []),
    ("metrics.acc <= 0.515", []),
    ("metrics.acc = 0.53", []),
    ("metrics.acc != 0", []),
    ("metrics.acc != 0.53", []),
    ("metrics.acc > -1e10", []),
    ("metrics.acc < 1e-3", []),
    ("metrics.acc > 1", []),
    ("metrics.loss > .1", []),
    ("metrics.\"error rate\" < 1", []),
    ("metrics.`error rate` >= 1", []),
    ("metric.acc > 0.9", []),
    ("`metric`.acc > 0.9", []),
    ("`metrics`.acc > 0.9", []),
    ("metrics.acc > 0.8 and metrics.loss < 0.05", []),
    ("metrics.acc > 0.8 AND metrics.loss < 0.05", []),
    ("metrics.missing > 0", []),
    ("metrics.acc = 'a'", []),
    ("metrics.acc > '0.5'", []),
    ("metrics.acc LIKE '0.5%'", []),
    # params: strings exactly as MLflow stores them (str(value))
    ("params.model = 'rf'", []),
    ("params.model = \"rf\"", []),
    ("params.model != 'rf'", []),
    ("params.model LIKE 'rf%'", []),
    ("params.model LIKE 'RF%'", []),
    ("params.model ILIKE 'rf%'", []),
    ("params.model ILIKE '%FOREST'", []),
    ("params.model LIKE '%\\_v2'", []),
    ("params.model IN ('rf', 'svm')", []),
    ("params.model NOT IN ('rf', 'svm')", []),
    ("params.model IN ('rf')", []),
    ("params.C = '0.1'", []),
    ("params.C = '1'", []),
    ("params.C = '1.0'", []),
    ("params.C != '1.0'", []),
    ("params.C IN ('1', '100')", []),
    ("params.lr = '1e-05'", []),
    ("params.lr LIKE '1e-%'", []),
    ("params.lr = '0.001'", []),
    ("params.opt = 'None'", []),
    ("params.opt != 'adam'", []),
    ("params.opt != 'None'", []),
    ("params.layers = '[64, 32]'", []),
    ("params.layers = \"{'a': 1}\"", []),
    ("params.layers LIKE '[%'", []),
    ("params.flag = 'True'", []),
    ("params.flag = 'False'", []),
    ("params.flag ILIKE 'true'", []),
    ("params.n != '5'", []),
    ("params.path = 'C:\\temp\\data'", []),
    ("params.path LIKE 'C:\\temp%'", []),
    ("params.path LIKE 'a_b'", []),
    ("params.path LIKE 'a\\_b'", []),
    ("params.path LIKE 'a%b'", []),
    ("params.path = 'it''s'", []),
    ("params.path = \"it's\"", []),
    ("params.path = 'say \"hi\"'", []),
    ("params.\"model-type\" = 'tree'", []),
    ("params.`model-type` = 'tree'", []),
    ("params.精度 = 'high'", []),
    ("params.\"精度\" = 'high'", []),
    ("param.model = 'lr'", []),
    ("parameter.model = 'lr'", []),
    ("params.missing = 'x'", []),
    ("params.model = 'rf' and params.C = '0.1'", []),
    ("params.opt IS NULL", []),
    ("params.opt IS NOT NULL", []),
    ("params.C > 5", []),
    ("params.C = 1", []),
    ("params.n > '10'", []),
    ("params.model > 'q'", []),
    # tags
    ("tags.split = 'a'", []),
    ("tags.split != 'a'", []),
    ("tags.split LIKE 'A'", []),
    ("tags.split ILIKE 'A'", []),
    ("tags.n IN ('5', '9')", []),
    ("tags.note = 'a\\b'", []),
    ("tag.split = 'b'", []),
    ("`tags`.split = 'b'", []),
    ("tags.n = 5", []),
    ("tags.n < 9", []),
    ("tags.n > '10'", []),
    ("tags.note IS NULL", []),
    ("tags.note IS NOT NULL", []),
    # attributes
    ("attributes.status = 'FAILED'", []),
    ("attributes.status = 'failed'", []),
    ("attributes.status != 'FINISHED'", []),
    ("attributes.status IN ('KILLED', 'RUNNING')", []),
    ("attributes.status LIKE 'FIN%'", []),
    ("attributes.status LIKE 'fin%'", []),
    ("attributes.status ILIKE 'fin%'", []),
    ("attributes.status = 1", []),
    ("status = 'KILLED'", []),
    ("attributes.run_name = 'run-07'", []),
    ("attributes.run_name LIKE 'run-0%'", []),
    ("attributes.run_name ILIKE 'RUN-1%'", []),
    ("attributes.run_name != 'run-07'", []),
    ("attributes.run_name IN ('run-01', 'run-02')", []),
    ("run_name = 'run-07'", []),
    ("attributes.`Run name` = 'run-07'", []),
    ("attributes.`run name` = 'run-07'", []),
    ("`Run name` = 'run-07'", []),
    ("attributes.name != 1", []),
    ("attributes.start_time > 0", []),
    ("attributes.start_time > 1800000100000", []),
    ("attributes.created >= 1800000200000", []),
    ("attributes.start_time < 1800000100", []),
    ("attributes.duration > 1", []),
    ("attributes.name = 'run-07'", []),
    ("metrics.acc IN (0.53, 0.515)", []),
    ("metrics.acc IS NULL", []),
    ("attributes.created > 0", []),
    ("attributes.end_time > 0", []),
    ("attribute.status = 'FAILED'", []),
    ("attr.status = 'FAILED'", []),
    ("run.status = 'FAILED'", []),
    # combinations and syntax
    ("metrics.acc > 0.6 and params.model = 'rf' and tags.split = 'b'", []),
    ("metrics.acc > 0.9 or params.model = 'rf'", []),
    ("(metrics.acc > 0.9)", []),
    ("", []),
    ("metrics.acc >", []),
    ("metrics.acc > 0.9 and and params.model = 'rf'", []),
    ("NOT metrics.acc > 0.9", []),
    ("metrics.acc > 0.9and params.model = 'rf'", []),
    ("params.model = rf", []),
    ("foo.bar = 'x'", []),
    ("metrics.acc >> 1", []),
    ("params.model = 'rf", []),
    # order_by
    ("", ["metrics.acc DESC"]),
    ("", ["metrics.acc"]),
    ("", ["metrics.acc ASC"]),
    ("", ["metrics.loss DESC"]),
    ("", ["metrics.`error rate`"]),
    ("", ["params.model"]),
    ("", ["params.model DESC", "metrics.acc"]),
    ("", ["params.C"]),
    ("", ["params.opt"]),
    ("", ["params.n"]),
    ("", ["tags.split DESC", "metrics.acc DESC"]),
    ("", ["attributes.start_time"]),
    ("", ["attributes.start_time DESC"]),
    ("", ["start_time"]),
    ("", ["attributes.created"]),
    ("", ["attributes.run_name"]),
    ("", ["attributes.status", "attributes.run_name DESC"]),
    ("", ["metrics.acc ASC", "metrics.acc DESC"]),
    ("", ["metrics.acc sideways"]),
    ("", ["foo.bar"]),
    ("metrics.acc > 0.6", ["metrics.acc"]),
]

_IN_LISTS = "IN lists work on every field (MLflow allows them only for run_id)"
_TYPED_PARAMS = ("params keep their type: an unquoted number, and any range, compares "
                 "numbers (MLflow refuses both)")
_NUMERIC_ORDER = "params that are numbers sort as numbers (MLflow sorts their text: 10 before 9)"

#: Cases where nbtrack answers otherwise on purpose, and why (the README lists each).
DIFFERENCES: dict[str, str] = {
    "params.model IN ('rf', 'svm')": _IN_LISTS,
    "params.model NOT IN ('rf', 'svm')": _IN_LISTS,
    "params.model IN ('rf')": _IN_LISTS,
    "params.C IN ('1', '100')": _IN_LISTS,
    "tags.n IN ('5', '9')": _IN_LISTS,
    "attributes.status IN ('KILLED', 'RUNNING')": _IN_LISTS,
    "attributes.run_name IN ('run-01', 'run-02')": _IN_LISTS,
    "metrics.acc IN (0.53, 0.515)": _IN_LISTS,
    "params.C > 5": _TYPED_PARAMS,
    "params.C = 1": _TYPED_PARAMS,
    "params.n > '10'": _TYPED_PARAMS,
    "params.model > 'q'": "ranges on text params compare the text (MLflow refuses ranges)",
    "order_by params.C": _NUMERIC_ORDER,
    "order_by params.n": _NUMERIC_ORDER,
    "metrics.acc > 0.9 or params.model = 'rf'": "or and parentheses are accepted",
    "(metrics.acc > 0.9)": "or and parentheses are accepted",
    "attributes.duration > 1": "duration (end minus start, seconds) is an attribute",
    "attributes.name = 'run-07'": "name is the run name, as run_name is",
    "metrics.acc IS NULL": "IS NULL works on metrics too (runs that lack the metric)",
    "attributes.status = 'failed'": ("a status that does not exist is an error naming the "
                                     "statuses (MLflow answers no runs)"),
    "metrics.acc > 0.9 and and params.model = 'rf'": ("a doubled and is an error (MLflow "
                                                      "answers no runs)"),
    "attributes.start_time < 1800000100": ("times are seconds; a number of 10^11 or more is "
                                           "read as milliseconds (MLflow's unit)"),
}


def _case_id(case: tuple[str, list[str]]) -> str:
    text, order = case
    if not order:
        return text
    return f"{text} order_by {', '.join(order)}" if text else f"order_by {', '.join(order)}"


def _mlflow_python() -> str:
    python = os.environ.get("NBTRACK_MLFLOW_PYTHON") or str(ROOT / "bench/.venv/bin/python")
    if not Path(python).exists():
        pytest.fail(f"no Python with MLflow at {python}: run `make test` (it sets up "
                    "bench/.venv) or set NBTRACK_MLFLOW_PYTHON")
    return python


@pytest.fixture(scope="module")
def answers(tmp_path_factory) -> dict[str, tuple[Any, Any]]:
    runs = _runs()
    spec = {"runs": runs, "cases": [{"filter": f, "order_by": o} for f, o in CASES]}
    done = subprocess.run([_mlflow_python(), str(ROOT / "tests/mlflow_oracle.py")],
                          input=json.dumps(spec), capture_output=True, text=True, timeout=600,
                          cwd=tmp_path_factory.mktemp("mlflow"))
    assert done.returncode == 0, done.stderr[-3000:]
    theirs = json.loads(done.stdout)
    ours = _nbtrack_answers(tmp_path_factory.mktemp("nbtrack"), runs)
    return {_case_id(case): (mine, other)
            for case, mine, other in zip(CASES, ours, theirs, strict=True)}


def _nbtrack_answers(folder: Path, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    store = open_store(str(folder / ".nbtrack"))
    names = {}
    for i, spec in enumerate(runs):
        run_id = f"r-{i:04d}conformance"
        names[run_id] = spec["name"]
        run = Run(run_id, experiment="conformance", name=spec["name"],
                  start_time=spec["start_time"], params=spec["params"], tags=spec["tags"])
        store.create_run(run, {}, None)
        if spec["metrics"]:
            store.log_batch(run_id, metrics=[Metric(k, v, 0, spec["start_time"])
                                             for k, v in spec["metrics"].items()])
        if spec["status"] != "RUNNING":
            store.end_run(run_id, RunStatus(spec["status"]), spec["start_time"] + 1.5)
    store.flush()
    out = []
    for text, order in CASES:
        try:
            where = parse_filter(text) if text.strip() else None
            keys = parse_order_by(", ".join(order)) if order else []
            table = store.search(where, keys, "conformance", None)
            out.append({"runs": [names[r] for r in table.run_ids]})
        except FilterSyntaxError as exc:
            out.append({"error": str(exc)})
    store.close()
    return out


def _agree(mine: dict[str, Any], theirs: dict[str, Any]) -> bool:
    if "error" in theirs or "error" in mine:
        return ("error" in theirs) == ("error" in mine)
    return mine["runs"] == theirs["runs"]


def test_every_case_agrees_with_mlflow_or_is_a_listed_difference(answers):
    differing = {case: f"nbtrack {mine} / MLflow {theirs}"
                 for case, (mine, theirs) in answers.items() if not _agree(mine, theirs)}
    unexplained = {case: why for case, why in differing.items() if case not in DIFFERENCES}
    assert unexplained == {}
    gone = sorted(set(DIFFERENCES) - set(differing))
    assert gone == [], "listed as differences but now agreeing: update DIFFERENCES and README"


def test_the_readme_lists_every_difference():
    readme = (ROOT / "README.md").read_text()
    assert [case for case in DIFFERENCES if f"`{case}`" not in readme] == []
    counts = (f"runs {len(CASES)} cases", f"{len(CASES) - len(DIFFERENCES)} agree",
              f"The {len(DIFFERENCES)} others")
    assert [text for text in counts if text not in readme] == []


def test_the_cases_exercise_matches_and_rejections(answers):
    theirs = [other for _, other in answers.values()]
    matched = sum(1 for a in theirs if a.get("runs"))
    rejected = sum(1 for a in theirs if "error" in a)
    assert matched >= 80 and rejected >= 15, (matched, rejected)
