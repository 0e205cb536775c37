"""The nbtrack command: tables, JSON, one-line errors and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import nbtrack
from nbtrack.cli import main
from nbtrack.store import open_store


@pytest.fixture
def three_runs():
    ids = []
    for C, acc in ((0.1, 0.8), (1.0, 0.95), (10.0, 0.9)):
        with nbtrack.start_run(name=f"C={C}", params={"C": C, "model": "lr"}) as run:
            nbtrack.log_metric("acc", acc)
        ids.append(run.run_id)
    nbtrack.tracker().store.flush()
    return ids


def test_runs_table_filter_sort_limit(three_runs, capsys):
    assert main(["runs", "--filter", "metrics.acc > 0.85", "--sort", "metrics.acc DESC",
                 "--limit", "5"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:5] == ["run_id", "name", "status", "started", "duration"]
    assert "params.C" in out[0] and "metrics.acc" in out[0]
    assert [line.split()[0] for line in out[2:]] == [three_runs[1], three_runs[2]]


def test_runs_json(three_runs, capsys):
    assert main(["runs", "--json", "--sort", "params.C"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["params"]["C"] for r in records] == [0.1, 1.0, 10.0]
    assert records[0]["metrics"] == {"acc": 0.8} and records[0]["status"] == "FINISHED"


def test_json_output_is_strict_json_with_non_finite_numbers_as_text(capsys):
    with nbtrack.start_run(params={"grid": [0.5, float("inf")]}) as run:
        nbtrack.log_metric("loss", float("nan"))
    nbtrack.tracker().store.flush()

    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    for argv in (["runs", "--json"], ["compare", run.run_id, "--json"]):
        assert main(argv) == 0
        data = json.loads(capsys.readouterr().out, parse_constant=refuse)
        record = data[0] if argv[0] == "runs" else data["runs"][0]
        assert record["metrics"] == {"loss": "nan"}
        assert record["params"] == {"grid": [0.5, "inf"]}
    assert main(["show", run.run_id, "--json"]) == 0
    data = json.loads(capsys.readouterr().out, parse_constant=refuse)
    assert data["metrics"] == {"loss": "nan"} and data["params"] == {"grid": [0.5, "inf"]}


def test_show_by_prefix(three_runs, capsys):
    assert main(["show", three_runs[0][:12]]) == 0
    out = capsys.readouterr().out
    assert three_runs[0] in out and "C = 0.1" in out and "acc = 0.8" in out
    assert main(["show", three_runs[0], "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["run_id"] == three_runs[0] and "environment" in data["context"]


@pytest.mark.parametrize("argv, words", [
    (["runs", "--filter", "metrics.acc >"], "bad filter at position 13"),
    (["show", "r-zzzzzzzz"], "no run matches"),
    (["show", "ab"], "too short"),
    (["--store", "ftp://x", "runs"], "valid schemes are"),
])
def test_errors_are_one_line_with_exit_1(three_runs, capsys, argv, words):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("nbtrack: error: ") and words in err
    assert err.count("\n") == 1


def test_fsck_and_gc(three_runs, tmp_path, capsys):
    assert main(["fsck"]) == 0
    assert "ok" in capsys.readouterr().out
    store = nbtrack.tracker().store
    orphan, _ = store.backend.content.put_bytes(b"nobody refers to me")
    assert main(["gc", "--min-age", "0"]) == 0
    assert orphan in capsys.readouterr().out
    assert store.backend.content.path_for(orphan).exists(), "gc is a dry run by default"
    assert main(["gc", "--min-age", "0", "--delete"]) == 0
    assert not store.backend.content.path_for(orphan).exists()
    with nbtrack.start_run() as run:
        nbtrack.tracker().store.add_artifact(
            run.run_id, __import__("nbtrack.entities").entities.Artifact("a", "", 0), data=b"abc")
    digest = store.get_run(run.run_id).artifacts[0].sha256
    store.backend.content.path_for(digest).write_bytes(b"abd")
    capsys.readouterr()
    assert main(["fsck"]) == 1
    assert "corrupt" in capsys.readouterr().out


def test_python_dash_m_and_empty_store(python_env):
    open_store(python_env["NBTRACK_STORE"]).close()
    out = subprocess.run([sys.executable, "-m", "nbtrack", "runs"], env=python_env,
                         capture_output=True, text=True)
    uri = open_store(python_env["NBTRACK_STORE"]).uri
    assert out.returncode == 0 and out.stderr == f"no runs yet (store: {uri})\n"


def test_reading_never_creates_a_store_and_points_at_the_stores_below(tmp_path, monkeypatch,
                                                                      capsys):
    monkeypatch.delenv("NBTRACK_STORE")
    (tmp_path / "notebooks").mkdir()
    open_store(str(tmp_path / "notebooks" / ".nbtrack")).close()
    for argv in (["runs"], ["show", "r-abcd1234"], ["compare"], ["fsck"], ["gc"]):
        assert main(argv) == 1
        assert capsys.readouterr().err == (
            f"nbtrack: error: no nbtrack store in {tmp_path} or its parents (NBTRACK_STORE is "
            "not set); stores below here: notebooks/.nbtrack; pass --store notebooks/.nbtrack\n")
    assert not (tmp_path / ".nbtrack").exists()
    assert main(["--store", "notebooks/.nbtrack", "runs"]) == 0


def test_a_store_path_that_holds_no_store_is_an_error_not_an_empty_store(tmp_path, capsys):
    assert main(["--store", str(tmp_path / "no" / "such"), "runs"]) == 1
    assert capsys.readouterr().err == (
        f"nbtrack: error: no nbtrack store at {tmp_path / 'no' / 'such'} (a store is a folder "
        "holding nbtrack.db); check the path (from --store)\n")
    assert not (tmp_path / "no").exists()


def test_typos_are_named_not_answered_with_no_runs(three_runs, capsys):
    assert main(["runs", "--experiment", "nope"]) == 1
    uri = nbtrack.tracker().store.uri
    assert capsys.readouterr().err == (f"nbtrack: error: no experiment 'nope' in {uri} "
                                       "(experiments: Default)\n")
    assert main(["runs", "--sort", "bogus"]) == 1
    assert capsys.readouterr().err.startswith("nbtrack: error: bad order_by at position 0: ")
    assert main(["runs", "--limit", "0"]) == 1
    assert capsys.readouterr().err == "nbtrack: error: --limit must be 1 or more, got 0\n"


def test_listing_several_experiments_shows_the_experiment_and_fits_the_terminal(
        three_runs, capsys, monkeypatch):
    with nbtrack.start_run(experiment="other", params={f"p{i}": i for i in range(30)}):
        nbtrack.log_metric("acc", 0.5)
    nbtrack.tracker().store.flush()
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["runs"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:6] == ["run_id", "experiment", "name", "status", "started",
                                    "duration"]
    assert lines[0].split()[6] == "metrics.acc", "results before settings"
    assert max(len(line) for line in lines[:-1]) <= 100
    assert lines[-1].startswith("... ") and lines[-1].endswith("--wide shows every column")
    assert lines[2].split()[1] == "other"
    assert main(["runs", "--wide"]) == 0
    wide = capsys.readouterr().out.splitlines()
    assert "params.p29" in wide[0] and not wide[-1].startswith("...")


def test_a_listing_sent_to_a_pipe_keeps_every_column(three_runs, capsys, monkeypatch):
    with nbtrack.start_run(params={f"p{i}": i for i in range(30)}):
        nbtrack.log_metric("acc", 0.5)
    nbtrack.tracker().store.flush()
    monkeypatch.delenv("COLUMNS", raising=False)
    assert main(["runs"]) == 0  # capsys' stdout is not a terminal
    lines = capsys.readouterr().out.splitlines()
    assert "params.p29" in lines[0]
    assert not lines[-1].startswith("... ")
    assert max(len(line) for line in lines) > 120


def test_show_prints_a_none_param_as_none(capsys):
    with nbtrack.start_run(params={"opt": None}) as run:
        pass
    nbtrack.tracker().store.flush()
    assert main(["show", run.run_id]) == 0
    assert "    opt = None" in capsys.readouterr().out.splitlines()
