"""The server extension's endpoints, on a real Jupyter server with authentication on."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from monitored import DAY, log_requests, served_model
from nbtrack.store import open_store
from nbtrack.tracking import Tracker

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs(lab):
    tracker = Tracker(open_store(str(lab["root"] / ".nbtrack")))
    ids = []
    for i, (model, acc) in enumerate((("rf", 0.9), ("lr", 0.8), ("rf", 0.95))):
        with tracker.start_run(name=f"run{i}", params={"model": model},
                               cell_id=f"cell-{i % 2}") as run:
            for step in range(3):
                tracker.log_metric("loss", 1.0 / (step + 1))
            tracker.log_metric("acc", acc)
        ids.append(run.run_id)
    tracker.store.flush()
    return ids


def call(lab, route, token=True, method="GET", body=None):
    url = f"{lab['url']}/nbtrack/api/{route}"
    headers = {"Authorization": f"token {lab['token']}"} if token else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        return error.code, json.loads(text) if text.startswith("{") else text


def test_every_endpoint_needs_the_token(lab, runs):
    for route, method in (("runs", "GET"), (f"runs/{runs[0]}", "GET"),
                          (f"runs/{runs[0]}/metrics/loss", "GET"),
                          (f"runs/{runs[0]}/export", "POST")):
        status, _ = call(lab, route, token=False, method=method,
                         body={} if method == "POST" else None)
        assert status == 403, route


def test_runs_with_filter_sort_and_paging(lab, runs):
    status, data = call(lab, "runs?sort=metrics.acc%20DESC")
    assert status == 200 and data["total"] == 3
    assert [r["run_id"] for r in data["runs"]] == [runs[2], runs[0], runs[1]]
    assert data["runs"][0]["metrics"] == {"acc": 0.95, "loss": 1 / 3}
    assert data["differing_params"] == ["model"]
    status, data = call(lab, "runs?filter=params.model%20%3D%20%27rf%27&limit=1&offset=1"
                             "&sort=metrics.acc")
    assert data["total"] == 2 and [r["run_id"] for r in data["runs"]] == [runs[2]]


def test_runs_by_id_judge_differing_params_over_those_runs_alone(lab, runs):
    status, data = call(lab, f"runs?ids={runs[0]},{runs[2]}")
    assert status == 200 and data["total"] == 2
    assert sorted(r["run_id"] for r in data["runs"]) == sorted([runs[0], runs[2]])
    assert data["differing_params"] == []  # both are rf; the lr run is not in the comparison
    status, data = call(lab, f"runs?ids={runs[0]},{runs[1]}&filter=params.model%20%3D%20%27lr%27")
    assert [r["run_id"] for r in data["runs"]] == [runs[1]]


def test_one_run_and_its_history(lab, runs):
    status, data = call(lab, f"runs/{runs[1][:10]}")
    assert status == 200 and data["run_id"] == runs[1]
    assert data["params"] == {"model": "lr"} and data["cell_id"] == "cell-1"
    assert data["status"] == "FINISHED"
    status, data = call(lab, f"runs/{runs[1]}/metrics/loss")
    assert [p["step"] for p in data["points"]] == [0, 1, 2]


def test_errors_are_json_without_tracebacks(lab, runs):
    status, data = call(lab, "runs?filter=metrics.acc%20%3E")
    assert status == 400 and "bad filter" in data["message"]
    assert "Traceback" not in json.dumps(data)
    status, data = call(lab, "runs/r-zzzzzzzz")
    assert status == 404 and "no run matches" in data["message"]
    status, data = call(lab, "runs?path=../..")
    assert status == 403


def _exportable_run(store_folder) -> str:
    """A run with code to export (as a %%track cell records it), committed to the store."""
    tracker = Tracker(open_store(str(store_folder)))
    with tracker.start_run(cell_id="c", context={"source": "x = 1\ny = x + 1",
                                                 "history": []}) as run:
        tracker.log_metric("y", 2.0)
    tracker.store.close()
    return run.run_id


def test_export_writes_beside_the_notebook(lab, runs):
    (lab["root"] / "notebooks").mkdir(exist_ok=True)
    status, data = call(lab, f"runs/{runs[0]}/export", method="POST",
                        body={"path": "notebooks/analysis.ipynb", "name": "exported.ipynb"})
    assert status == 409, "a run not made by a %%track cell has no code to export"
    run_id = _exportable_run(lab["root"] / ".nbtrack")
    status, data = call(lab, f"runs/{run_id}/export", method="POST",
                        body={"path": "notebooks/analysis.ipynb", "name": "exported.ipynb"})
    assert status == 201 and data["path"] == "notebooks/exported.ipynb"
    assert (lab["root"] / "notebooks" / "exported.ipynb").exists()
    for body in ({"path": "../../etc", "name": "x.ipynb"},
                 {"path": "notebooks", "name": "../escape.ipynb"}):
        status, _ = call(lab, f"runs/{run_id}/export", method="POST", body=body)
        assert status in (400, 403)


def test_latest_run_of_each_cell(lab, runs):
    status, data = call(lab, "cells?ids=cell-0,cell-1,cell-none")
    assert status == 200 and set(data["cells"]) == {"cell-0", "cell-1"}
    assert data["cells"]["cell-0"]["count"] == 2
    assert data["cells"]["cell-0"]["latest"]["run_id"] == runs[2], "the newest run of cell-0"
    assert data["cells"]["cell-1"]["latest"]["run_id"] == runs[1]
    assert data["cells"]["cell-0"]["latest"]["headline"] == "acc"
    assert call(lab, "cells?ids=cell-0", token=False)[0] == 403
    status, data = call(lab, "cells?ids=" + ",".join(f"c{i}" for i in range(2001)))
    assert status == 400 and "at most 2000" in data["message"]


def test_the_headline_tag_names_the_badge_metric(lab):
    tracker = Tracker(open_store(str(lab["root"] / ".nbtrack")))
    with tracker.start_run(cell_id="cell-headline", tags={"headline": "loss"}):
        tracker.log_metric("acc", 0.5)
        tracker.log_metric("loss", 0.25)
    tracker.store.flush()
    status, data = call(lab, "cells?ids=cell-headline")
    assert data["cells"]["cell-headline"]["latest"]["headline"] == "loss"


def _store_in(folder, name):
    folder.mkdir(parents=True, exist_ok=True)
    tracker = Tracker(open_store(str(folder / ".nbtrack")))
    with tracker.start_run(name=name, cell_id=f"cell-{name}") as run:
        tracker.log_metric("acc", 0.5)
    tracker.store.flush()
    tracker.store.close()
    return run.run_id


def test_each_notebook_folder_reads_its_own_store(lab_by_folder):
    root = lab_by_folder["root"]
    in_a = _store_in(root / "a", "in-a")
    in_b = _store_in(root / "b", "in-b")
    (root / "a" / "deeper").mkdir()
    for path, expected in (("a/x.ipynb", in_a), ("a/deeper/y.ipynb", in_a), ("b", in_b)):
        status, data = call(lab_by_folder, f"runs?path={path}")
        assert status == 200 and [r["run_id"] for r in data["runs"]] == [expected], path
    (root / "c").mkdir()
    status, data = call(lab_by_folder, "runs?path=c/z.ipynb")
    assert status == 200 and data == {"runs": [], "total": 0, "differing_params": [],
                                       "store": str(root / "c" / ".nbtrack"), "exists": False}
    status, data = call(lab_by_folder, "cells?path=c/z.ipynb&ids=x")
    assert status == 200 and data["cells"] == {}
    status, data = call(lab_by_folder, f"runs/{in_a}?path=c/z.ipynb")
    assert status == 404 and "no nbtrack store" in data["message"]
    assert not (root / "c" / ".nbtrack").exists(), "reading never creates a store"
    assert not (root / ".nbtrack").exists()


def test_export_reads_the_store_of_the_notebooks_folder(lab_by_folder):
    root = lab_by_folder["root"]
    (root / "exports").mkdir()
    run_id = _exportable_run(root / "exports" / ".nbtrack")
    status, data = call(lab_by_folder, f"runs/{run_id}/export", method="POST",
                        body={"path": "exports/analysis.ipynb", "name": "again.ipynb"})
    assert status == 201 and data["path"] == "exports/again.ipynb"


def test_models_lists_versions_aliases_and_history(lab):
    from sklearn.linear_model import LogisticRegression

    from nbtrack import registry

    store = open_store(str(lab["root"] / ".nbtrack"))
    tracker = Tracker(store)
    with tracker.start_run() as run:
        tracker.log_model(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), name="clf")
        tracker.log_metric("acc", 1.0)
    registry.register_model(store, run.run_id, "toy")
    registry.set_alias(store, "toy", "production", 1)
    store.flush()
    status, data = call(lab, "models")
    assert status == 200 and data["exists"] is True
    model = next(m for m in data["models"] if m["name"] == "toy")
    assert model["aliases"] == {"production": 1}
    assert [(v["version"], v["run_id"], v["aliases"]) for v in model["versions"]] == [
        (1, run.run_id, ["production"])]
    assert [(e["op"], e["new"]) for e in model["history"]] == [("register", None),
                                                               ("set_alias", 1)]
    status, _ = call(lab, "models", token=False)
    assert status == 403



def test_models_carry_each_versions_latest_monitor_check(lab_by_folder, monkeypatch):
    import nbtrack
    from nbtrack import registry

    folder = lab_by_folder["root"] / "served"
    folder.mkdir()
    store = open_store(str(folder / ".nbtrack"))
    monkeypatch.setenv("NBTRACK_STORE", str(folder / ".nbtrack"))
    served_model(store, "watched", versions=3)
    registry.set_alias(store, "watched", "production", 2)
    log_requests(store, "watched", 2, 100 * DAY, shift=0.0, rows=400, seed=1)
    calm = nbtrack.monitor("watched@production")
    log_requests(store, "watched", 2, 101 * DAY, shift=1.5, rows=400, seed=2)
    shifted = nbtrack.monitor("watched@production", last=80)
    # version 1: a full day, then a day of 10 rows: its latest window cannot be tested,
    # though the run's latest value of drift.psi.a is the first day's
    log_requests(store, "watched", 1, 100 * DAY, shift=0.0, rows=200, seed=3)
    log_requests(store, "watched", 1, 101 * DAY, shift=2.0, rows=10, seed=4)
    sparse = nbtrack.monitor("watched/1", window="1d")
    nbtrack.api_common.tracker().store.flush()
    assert not calm.drift_detected and shifted.drift_detected, "the data behave as meant"
    assert sparse.drift.features["status"].tolist() == ["insufficient_data"] * 2
    assert "drift.psi.a" in store.get_run(sparse.run_id).metrics

    status, data = call(lab_by_folder, "models?path=served/x.ipynb")
    assert status == 200
    (model,) = data["models"]
    by_version = {v["version"]: v["monitor"] for v in model["versions"]}
    assert by_version[3] is None, "a version never checked has no check"

    latest = by_version[2]
    assert latest["run_id"] == shifted.run_id, "the newest check, not the calm one"
    assert latest["time"] == store.get_run(shifted.run_id).start_time
    assert (latest["verdict"], latest["drift"], latest["rule"]) == ("drifted", "drifted", None)
    assert latest["share"] == shifted.drift.share
    assert latest["max_psi"] == shifted.drift.max_psi
    assert latest["window"] == "last" and latest["requests"] == 80
    expected = shifted.drift.features
    assert [f["feature"] for f in latest["features"]] == expected["feature"].tolist()
    assert [f["psi"] for f in latest["features"]] == expected["psi"].tolist()
    assert [f["p"] for f in latest["features"]] == expected["p_value"].tolist()
    assert [f["severity"] for f in latest["features"]] == expected["severity"].tolist()

    assert by_version[1]["run_id"] == sparse.run_id
    assert (by_version[1]["verdict"], by_version[1]["windows"]) == ("insufficient_data", 2)
    assert by_version[1]["features"] == [] and by_version[1]["requests"] == 2

    nbtrack.set_monitor_rule("watched", "drift.share >= 0.5")
    fired = nbtrack.monitor("watched@production", last=80)
    nbtrack.set_monitor_rule("watched", "drift.share > 2")
    held = nbtrack.monitor("watched/2", last=80)
    nbtrack.api_common.tracker().store.flush()
    assert fired.fired and not held.fired
    status, data = call(lab_by_folder, "models?path=served")
    checks = [v["monitor"] for v in data["models"][0]["versions"]]
    assert checks[1]["run_id"] == held.run_id
    assert checks[1]["verdict"] == "drifted", "a rule that holds back leaves the drift verdict"
    assert checks[1]["rule"] == {"rule": "drift.share > 2", "fired": False}
    nbtrack.set_monitor_rule("watched", "drift.share >= 0.5")
    nbtrack.monitor("watched@production", last=80)
    nbtrack.api_common.tracker().store.flush()
    status, data = call(lab_by_folder, "models?path=served")
    check = data["models"][0]["versions"][1]["monitor"]
    assert (check["verdict"], check["drift"]) == ("rule_fired", "drifted")
    assert check["rule"] == {"rule": "drift.share >= 0.5", "fired": True}
    assert call(lab_by_folder, "models?path=served", token=False)[0] == 403
    store.close()


def test_run_details_of_a_check_hold_its_drift_figures(lab_by_folder, monkeypatch):
    import numpy as np
    import pandas as pd

    import nbtrack

    folder = lab_by_folder["root"] / "checked"
    folder.mkdir()
    monkeypatch.setenv("NBTRACK_STORE", str(folder / ".nbtrack"))
    rng = np.random.default_rng(11)
    reference = pd.DataFrame({"x": rng.normal(size=500), "y": rng.normal(size=500),
                              "z": rng.normal(size=500)})

    def check_of(current):
        report = nbtrack.drift(reference, current)
        tracker = nbtrack.api_common.tracker()
        tracker.store.flush()
        status, data = call(lab_by_folder, f"runs/{tracker.last_run_id}?path=checked")
        assert status == 200
        return report, data["monitor"]

    # one major feature of three: the data set drifts though the share is a third
    report, check = check_of(pd.DataFrame({"x": rng.normal(size=300) + 0.3,
                                           "y": rng.normal(size=300) * 3,
                                           "z": rng.normal(size=300)}))
    assert report.drift_detected and report.share < 0.5
    assert (check["verdict"], check["model"], check["windows"]) == ("drifted", None, 1)
    assert check["tested"] == 3
    assert [f["feature"] for f in check["features"]] == report.features["feature"].tolist()
    assert [f["psi"] for f in check["features"]] == report.features["psi"].tolist()
    assert [f["severity"] for f in check["features"]] == report.features["severity"].tolist()
    assert check["share"] == report.share and check["max_psi"] == report.max_psi

    report, check = check_of(pd.DataFrame({"x": rng.normal(size=300) + 0.2,
                                           "y": rng.normal(size=300) * 1.1,
                                           "z": rng.normal(size=300)}))
    assert not report.drift_detected and check["verdict"] == "no_drift"
    assert [f["severity"] for f in check["features"]] == report.features["severity"].tolist()
    status, _ = call(lab_by_folder, f"runs/{nbtrack.api_common.tracker().last_run_id}"
                                    "?path=checked", token=False)
    assert status == 403
