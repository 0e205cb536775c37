"""Export to and import from MLflow, against the real mlflow package and a SQLite
tracking store under the test's temporary folder."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mlflow")

from mlflow.tracking import MlflowClient  # noqa: E402

from nbtrack.cli import main  # noqa: E402
from nbtrack.entities import Metric, RunStatus  # noqa: E402
from nbtrack.interop import export_mlflow, import_mlflow  # noqa: E402
from nbtrack.store import open_store  # noqa: E402
from nbtrack.tracking import Tracker  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _no_telemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")


@pytest.fixture(scope="module")
def empty_mlflow_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MLflow database with its schema made once (MLflow's migrations take seconds);
    each test works on a copy."""
    folder = tmp_path_factory.mktemp("mlflow-template")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        patch.chdir(folder)  # MLflow resolves its default artifact root against the cwd
        MlflowClient(tracking_uri=f"sqlite:///{folder / 'mlflow.db'}").search_experiments()
    return folder / "mlflow.db"


@pytest.fixture
def mlflow_db(empty_mlflow_db: Path, tmp_path: Path) -> tuple[str, str]:
    """``(tracking URI, artifact root)`` of a fresh MLflow store inside ``tmp_path``."""
    db = tmp_path / "mlflow" / "mlflow.db"
    db.parent.mkdir()
    shutil.copy(empty_mlflow_db, db)
    in_repo = _repo_mlflow_files()
    yield f"sqlite:///{db}", str(tmp_path / "mlflow" / "artifacts")
    for leftover in ("mlruns", "mlartifacts"):
        assert not (tmp_path / leftover).exists(), f"MLflow wrote {leftover}/ into the cwd"
    assert _repo_mlflow_files() == in_repo, "MLflow wrote into the source tree"


def _repo_mlflow_files() -> list[Path]:
    return sorted(p for name in ("mlruns", "mlartifacts", "mlflow.db")
                  for p in [REPO / name, *(REPO / name).rglob("*")] if p.exists())


def _fill(folder: Path) -> dict[str, str]:
    """A store with a finished, a failed and an interrupted run; returns name -> run id."""
    from sklearn.linear_model import LogisticRegression

    store = open_store(str(folder))
    tracker = Tracker(store)
    (folder.parent / "notes.txt").write_bytes(b"some notes\x00\xff")
    ids = {}
    with tracker.start_run("good", experiment="exp1",
                           params={"C": 0.5, "model": "rf", "flag": True, "layers": [1, 2],
                                   "nothing": None, "odd key[0]": 3},
                           tags={"team": "vision", "long": "x" * 9000},
                           context={"source": "C = 0.5\nfit()",
                                    "inputs": {"X": {"sha256": "ab" * 32, "shape": [4, 2]}}},
                           cell_id="cell-1", capture_environment=False) as run:
        for step, loss in enumerate([0.9, 0.5, 0.3, 0.25]):
            tracker.log_metric("loss", loss, step=step)
        tracker.log_metric("acc", 0.875)
        tracker.log_metric("f1 (macro)", 0.5)
        tracker.log_metric("blowup", float("inf"))
        tracker.log_metric("undefined", float("nan"))
        tracker.log_artifact(folder.parent / "notes.txt", "docs/notes.txt")
        model = LogisticRegression().fit([[0.0, 1.0], [1.0, 0.0], [0.1, 0.9], [0.9, 0.2]],
                                         [0, 1, 0, 1])
        tracker.log_model(model, "clf")
        ids["good"] = run.run_id
    failed = tracker.start_run("bad", experiment="exp1", params={"C": 2.0},
                               capture_environment=False)
    tracker.log_metric("loss", 3.0, step=0)
    tracker.end_run(failed, RunStatus.FAILED, "Traceback (most recent call last):\nValueError")
    ids["bad"] = failed.run_id
    stopped = tracker.start_run(None, experiment="exp2", capture_environment=False)
    tracker.log_metric("loss", 1.0, step=0)
    tracker.end_run(stopped, RunStatus.INTERRUPTED)
    ids["stopped"] = stopped.run_id
    store.close()
    return ids


def _by_nbtrack_id(client: MlflowClient) -> dict[str, object]:
    experiments = [e.experiment_id for e in client.search_experiments()]
    return {r.data.tags["nbtrack.run_id"]: r for r in client.search_runs(experiments)
            if "nbtrack.run_id" in r.data.tags}


def test_export_writes_every_value_through_mlflow(tmp_path, mlflow_db):
    uri, root = mlflow_db
    ids = _fill(tmp_path / "a")
    store = open_store(str(tmp_path / "a"))
    summary = export_mlflow(store, uri, artifact_root=root)
    assert (summary.runs_copied, summary.runs_present, summary.experiments_created) == (3, 0, 2)
    client = MlflowClient(tracking_uri=uri)
    exported = _by_nbtrack_id(client)
    assert set(exported) == set(ids.values())

    good, mine = exported[ids["good"]], store.get_run(ids["good"])
    assert client.get_experiment(good.info.experiment_id).name == "exp1"
    assert good.data.params["C"] == "0.5" and good.data.params["model"] == "rf"
    assert good.data.params["flag"] == "True" and good.data.params["layers"] == "[1, 2]"
    assert good.data.params["nothing"] == "None" and good.data.params["odd key_0_"] == "3"
    assert good.data.tags["team"] == "vision" and good.data.tags["long"] == "x" * 8000
    assert good.info.run_name == "good" and good.info.status == "FINISHED"
    assert good.info.start_time == round(mine.start_time * 1000)
    assert good.info.end_time == round(mine.end_time * 1000)
    history = sorted(client.get_metric_history(good.info.run_id, "loss"), key=lambda m: m.step)
    ours = store.metric_history(ids["good"], "loss")
    assert [(m.step, m.value, m.timestamp) for m in history] == \
        [(p.step, p.value, round(p.timestamp * 1000)) for p in ours]
    assert good.data.metrics["acc"] == 0.875 and "f1 _macro_" in good.data.metrics
    assert good.data.tags["nbtrack.model.clf.format"] == "skops"
    assert good.data.tags["nbtrack.model.clf.class"].endswith("LogisticRegression")
    assert good.data.tags["nbtrack.cell_id"] == "cell-1"
    out = tmp_path / "downloaded"
    notes = client.download_artifacts(good.info.run_id, "docs/notes.txt", str(out))
    assert Path(notes).read_bytes() == b"some notes\x00\xff"
    model = client.download_artifacts(good.info.run_id, "clf", str(out))
    assert Path(model).read_bytes() == store.read_artifact(ids["good"], "clf")
    assert Path(good.info.artifact_uri.removeprefix("file://")).is_relative_to(root)

    bad = exported[ids["bad"]]
    assert bad.info.status == "FAILED" and bad.data.tags["nbtrack.error"].endswith("ValueError")
    stopped = exported[ids["stopped"]]
    assert stopped.info.status == "KILLED"
    assert stopped.data.tags["nbtrack.status"] == "INTERRUPTED"

    points = len(client.get_metric_history(good.info.run_id, "loss"))
    again = export_mlflow(store, uri, artifact_root=root)
    assert (again.runs_copied, again.runs_updated, again.runs_present) == (0, 0, 3)
    assert again.metric_points == again.params == again.artifacts == 0
    assert len(_by_nbtrack_id(client)) == 3
    assert len(client.get_metric_history(good.info.run_id, "loss")) == points
    store.close()


def test_reexport_after_a_change_writes_only_what_is_new(tmp_path, mlflow_db):
    uri, root = mlflow_db
    ids = _fill(tmp_path / "a")
    store = open_store(str(tmp_path / "a"))
    export_mlflow(store, uri, experiment="exp1", artifact_root=root)
    client = MlflowClient(tracking_uri=uri)
    assert len(_by_nbtrack_id(client)) == 2  # exp2 was not asked for
    Tracker(store).add_to_run(ids["good"], metrics={"loss": 0.2}, tags={"checked": "yes"})
    # a history longer than one log_batch call takes
    store.log_batch(ids["bad"], metrics=[Metric("curve", i / 7, i, 1e9 + i) for i in range(2500)])
    store.flush()
    summary = export_mlflow(store, uri, artifact_root=root)
    assert (summary.runs_copied, summary.runs_updated, summary.runs_present) == (1, 2, 0)
    assert summary.metric_points == 2500 + 1 + 1  # curve, a new loss step, the new run
    exported = _by_nbtrack_id(client)
    good = exported[ids["good"]]
    history = client.get_metric_history(good.info.run_id, "loss")
    assert sorted(m.step for m in history) == [0, 1, 2, 3, 4]
    assert good.data.tags["checked"] == "yes"
    curve = client.get_metric_history(exported[ids["bad"]].info.run_id, "curve")
    assert sorted((m.step, m.value) for m in curve) == [(i, i / 7) for i in range(2500)]

    # an export that stopped before its last batch is completed, not repeated
    client.delete_tag(good.info.run_id, "nbtrack.export_digest")
    resumed = export_mlflow(store, uri, artifact_root=root)
    assert (resumed.runs_copied, resumed.runs_updated, resumed.metric_points) == (0, 1, 0)
    assert len(client.get_metric_history(good.info.run_id, "loss")) == 5
    assert export_mlflow(store, uri, artifact_root=root).runs_present == 3
    store.close()


def test_export_filter_selects_runs(tmp_path, mlflow_db):
    uri, root = mlflow_db
    ids = _fill(tmp_path / "a")
    store = open_store(str(tmp_path / "a"))
    summary = export_mlflow(store, uri, filter="params.C > 1", artifact_root=root)
    assert summary.runs_copied == 1
    assert set(_by_nbtrack_id(MlflowClient(tracking_uri=uri))) == {ids["bad"]}
    store.close()


def _native_runs(uri: str, root: str, monkeypatch: pytest.MonkeyPatch, folder: Path) -> dict:
    """Runs written by MLflow's own fluent API; returns what each logged."""
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    exp_id = mlflow.create_experiment("native", artifact_location=f"{root}/native")
    (folder / "weights.bin").write_bytes(bytes(range(256)))
    with mlflow.start_run(experiment_id=exp_id, run_name="first") as first:
        mlflow.log_param("lr", 0.01)
        mlflow.log_param("optimizer", "adam")
        for step, loss in enumerate([1.0, 0.6, 0.4]):
            mlflow.log_metric("loss", loss, step=step)
        mlflow.set_tag("stage", "dev")
        mlflow.log_artifact(str(folder / "weights.bin"), "ckpt")
    with mlflow.start_run(experiment_id=exp_id, run_name="second") as second:
        mlflow.log_metric("loss", 2.0, step=0)
        mlflow.end_run(status="FAILED")
    client = MlflowClient(tracking_uri=uri)
    return {"first": client.get_run(first.info.run_id),
            "second": client.get_run(second.info.run_id)}


def test_import_of_runs_mlflow_wrote(tmp_path, mlflow_db, monkeypatch):
    uri, root = mlflow_db
    native = _native_runs(uri, root, monkeypatch, tmp_path)
    store = open_store(str(tmp_path / "b"))
    summary = import_mlflow(store, uri)
    assert (summary.runs_copied, summary.runs_present) == (2, 0)
    imported = {r["tags"]["mlflow.run_id"]: r for r in store.search().records()}
    first = native["first"]
    mine = store.get_run(imported[first.info.run_id]["run_id"])
    assert mine.experiment == "native" and mine.name == "first"
    assert mine.params == {"lr": "0.01", "optimizer": "adam"}
    assert mine.tags["stage"] == "dev" and "mlflow.runName" not in mine.tags
    assert mine.status is RunStatus.FINISHED
    assert mine.start_time == first.info.start_time / 1000
    assert mine.end_time == first.info.end_time / 1000
    client = MlflowClient(tracking_uri=uri)
    theirs = sorted(client.get_metric_history(first.info.run_id, "loss"), key=lambda m: m.step)
    assert [(p.step, p.value, p.timestamp) for p in store.metric_history(mine.run_id, "loss")] \
        == [(m.step, m.value, m.timestamp / 1000) for m in theirs]
    assert store.read_artifact(mine.run_id, "ckpt/weights.bin") == bytes(range(256))
    second = store.get_run(imported[native["second"].info.run_id]["run_id"])
    assert second.status is RunStatus.FAILED

    again = import_mlflow(store, uri)
    assert (again.runs_copied, again.runs_updated, again.runs_present) == (0, 0, 2)
    assert again.metric_points == again.artifacts == 0
    assert store.count() == 2
    assert len(store.metric_history(mine.run_id, "loss")) == 3

    client.log_metric(first.info.run_id, "loss", 0.3, step=3)
    later = import_mlflow(store, uri, experiment="native")
    assert (later.runs_updated, later.metric_points) == (1, 1)
    assert [p.step for p in store.metric_history(mine.run_id, "loss")] == [0, 1, 2, 3]

    # exporting them back into the store they came from duplicates nothing
    back = export_mlflow(store, uri, artifact_root=root)
    assert (back.runs_copied, back.runs_present) == (0, 2)
    assert len(client.search_runs([first.info.experiment_id])) == 2
    store.close()


def test_round_trip_loses_nothing_nbtrack_holds(tmp_path, mlflow_db):
    uri, root = mlflow_db
    ids = _fill(tmp_path / "a")
    source = open_store(str(tmp_path / "a"))
    export_mlflow(source, uri, artifact_root=root)
    copy = open_store(str(tmp_path / "b"))
    summary = import_mlflow(copy, uri)
    assert summary.runs_copied == 3
    for run_id in ids.values():
        before, after = source.get_run(run_id), copy.get_run(run_id)
        assert _comparable(after.to_dict()) == _comparable(before.to_dict())
        assert copy.get_context(run_id) == source.get_context(run_id)
        for key in before.metrics:
            assert copy.metric_history(run_id, key) == source.metric_history(run_id, key)
        for artifact in before.artifacts:
            assert copy.read_artifact(run_id, artifact.name) == \
                source.read_artifact(run_id, artifact.name)
    model = copy.get_run(ids["good"]).load_model("clf")
    assert model.predict([[0.0, 1.0]]).tolist() == [0]
    assert import_mlflow(copy, uri).runs_present == 3
    # back into the store it came from: every run is there already
    assert import_mlflow(source, uri).runs_present == 3
    assert source.count() == 3
    # what is logged to an exported run in MLflow comes back to it
    client = MlflowClient(tracking_uri=uri)
    exported = _by_nbtrack_id(client)[ids["bad"]]
    client.log_metric(exported.info.run_id, "loss", 2.5, step=1)
    client.set_tag(exported.info.run_id, "reviewed", "yes")
    later = import_mlflow(source, uri)
    assert (later.runs_updated, later.runs_present, later.metric_points) == (1, 2, 1)
    bad = source.get_run(ids["bad"])
    assert [p.value for p in source.metric_history(bad.run_id, "loss")] == [3.0, 2.5]
    assert bad.tags == {"reviewed": "yes"} and bad.params == {"C": 2.0}
    assert bad.status is RunStatus.FAILED
    source.close()
    copy.close()


def _comparable(run: dict) -> dict:
    """A run's dict with NaN metrics as text (NaN equals nothing, not even itself)."""
    metrics = {k: "nan" if v != v else v for k, v in run["metrics"].items()}
    return {**run, "metrics": metrics}


def test_cli_commands(tmp_path, mlflow_db, capsys):
    uri, root = mlflow_db
    _fill(tmp_path / ".nbtrack")  # the store NBTRACK_STORE names
    assert main(["export-mlflow", "--to", uri, "--artifact-root", root, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["runs_copied"] == 3
    assert main(["export-mlflow", "--to", uri, "--artifact-root", root]) == 0
    assert "0 runs" in capsys.readouterr().out
    assert main(["--store", str(tmp_path / "b"), "import-mlflow", "--from", uri, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["runs_copied"] == 3
    assert main(["--store", str(tmp_path / "b"), "runs", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 3

    assert main(["export-mlflow", "--to", "nosuchscheme://x"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("nbtrack: error: cannot open the MLflow tracking store") and \
        err.count("\n") == 1
    missing = f"sqlite:///{tmp_path / 'nowhere.db'}"
    assert main(["import-mlflow", "--from", missing]) == 1
    assert "no MLflow database" in capsys.readouterr().err
    assert not (tmp_path / "nowhere.db").exists()
    assert main(["import-mlflow", "--from", uri, "--experiment", "nope"]) == 1
    assert "no experiment 'nope'" in capsys.readouterr().err
    assert main(["export-mlflow", "--to", uri, "--filter", "metrics.acc >"]) == 1
    assert "bad filter" in capsys.readouterr().err


def test_without_mlflow_the_commands_say_what_to_install(tmp_path, monkeypatch, capsys):
    _fill(tmp_path / ".nbtrack")
    for name in [m for m in sys.modules if m == "mlflow" or m.startswith("mlflow.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "mlflow", None)
    assert main(["export-mlflow", "--to", f"sqlite:///{tmp_path / 'm.db'}"]) == 1
    err = capsys.readouterr().err
    assert "pip install 'nbtrack[mlflow]'" in err and err.count("\n") == 1
    assert main(["import-mlflow", "--from", f"sqlite:///{tmp_path / 'm.db'}"]) == 1
    assert "pip install 'nbtrack[mlflow]'" in capsys.readouterr().err


def test_importing_nbtrack_does_not_import_mlflow(python_env):
    code = ("import sys, nbtrack, nbtrack.cli, nbtrack.interop; "
            "sys.exit('mlflow' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], env=python_env).returncode == 0
