"""Reproduce: exported runs re-executed in fresh kernels, verdicts, papermill on exports."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

import nbtrack
from nbtrack.cli import main

pytestmark = pytest.mark.slow
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def execute_notebook(path: Path, cwd: Path) -> None:
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(cwd)}}).execute()


@pytest.mark.parametrize("name", ["quickstart.ipynb", "training-loop.ipynb"])
def test_every_tracked_run_of_the_examples_reproduces_exactly(name, tmp_path, capsys):
    execute_notebook(NOTEBOOKS / name, tmp_path)
    store = nbtrack.tracker().store
    table = store.search()
    tracked = [run_id for run_id in table.base["run_id"]
               if store.get_context(run_id).get("source") is not None]
    assert tracked, "the example has %%track cells"
    for run_id in tracked:
        result = nbtrack.reproduce(run_id)
        assert result.ok, str(result)
        assert result.verdicts and {v.verdict for v in result.verdicts} == {"equal"}
        new = nbtrack.get_run(result.new_run)
        assert new.parent_run_id == run_id
        assert new.params == nbtrack.get_run(run_id).params
    assert "reproducing" in capsys.readouterr().err, "a progress bar was shown"


def test_non_deterministic_metric_is_reported_as_differing(ip, capsys):
    ip.run_cell("import random", store_history=True)
    ip.run_cell("%%track\nnoise = random.random()", store_history=True)
    run_id = nbtrack.runs().run_id[0]
    result = nbtrack.reproduce(run_id)
    assert not result.ok
    [verdict] = result.verdicts
    assert verdict.verdict == "differs" and verdict.reproduced is not None
    assert verdict.recorded == nbtrack.get_run(run_id).metrics["noise"]
    assert "differs" in str(result) and f"{verdict.recorded:.6g}" in str(result)
    capsys.readouterr()
    assert main(["reproduce", run_id[:12], "--quiet"]) == 1
    assert "DIFFERS" in capsys.readouterr().out


def test_papermill_runs_an_export_with_new_parameters(ip, tmp_path):
    import papermill

    ip.run_cell("values = [3, 4, 5]", store_history=True)
    ip.run_cell("%%track\nweight = 2\nscore = sum(values) * weight", store_history=True)
    run_id = nbtrack.runs().run_id[0]
    exported = nbtrack.export(run_id, str(tmp_path / "export.ipynb"))
    papermill.execute_notebook(str(exported.notebook), str(tmp_path / "out.ipynb"),
                               parameters={"weight": 5}, cwd=str(tmp_path),
                               progress_bar=False, kernel_name="python3")
    newest = nbtrack.get_run(nbtrack.runs().run_id[0])
    assert newest.run_id != run_id and newest.parent_run_id == run_id
    assert newest.params["weight"] == 5 and newest.metrics["score"] == 60.0
    assert os.environ["NBTRACK_STORE"] in str(nbtrack.tracker().store.uri)


def test_timing_figures_are_reported_but_not_judged(ip):
    ip.run_cell("import time", store_history=True)
    ip.run_cell("%%track\nstart = time.perf_counter()\ntotal = sum(range(1000))\n"
                "elapsed = time.perf_counter() - start", store_history=True)
    run_id = nbtrack.runs().run_id[0]
    assert sorted(nbtrack.get_run(run_id).metrics) == ["elapsed", "total"]
    result = nbtrack.reproduce(run_id)
    verdicts = {v.metric: v.verdict for v in result.verdicts}
    assert verdicts == {"elapsed": "timing", "total": "equal"} and result.ok
    assert "timing" in str(result)


def test_a_failing_export_says_why_without_terminal_colours(ip, monkeypatch):
    from nbtrack.errors import ReproductionError

    monkeypatch.setenv("NBTRACK_ONLY_HERE", "1.5")
    ip.run_cell("import os", store_history=True)
    ip.run_cell("%%track\nvalue = float(os.environ['NBTRACK_ONLY_HERE'])", store_history=True)
    run_id = nbtrack.runs().run_id[0]
    monkeypatch.delenv("NBTRACK_ONLY_HERE")
    with pytest.raises(ReproductionError) as caught:
        nbtrack.reproduce(run_id)
    assert "\x1b[" not in str(caught.value)
    assert str(caught.value).endswith("KeyError: 'NBTRACK_ONLY_HERE'")


def test_the_reproducing_kernel_prints_no_warnings(ip, capfd):
    ip.run_cell("%%track\ntotal = sum(range(10))", store_history=True)
    capfd.readouterr()
    result = nbtrack.reproduce(nbtrack.runs().run_id[0])
    assert result.ok
    err = capfd.readouterr().err
    assert "reproducing" in err and "WARNING" not in err
