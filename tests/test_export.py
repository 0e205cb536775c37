"""Export: the dependency slice, hidden-state warnings and the exported notebook (golden)."""

from __future__ import annotations

import nbformat
import pytest
from IPython.core.error import UsageError

import nbtrack
from nbtrack.errors import ExportError, NbtrackError
from nbtrack.analysis.slicing import dependency_slice


def cell(ip, source):
    assert ip.run_cell(source, store_history=True).success


def last_run():
    return nbtrack.get_run(nbtrack.tracker().store.search(limit=1).base["run_id"][0])


@pytest.fixture
def session(ip):
    """A session with irrelevant cells, a re-defined variable and out-of-order work."""
    cell(ip, "import math\nfrom statistics import mean")          # 1 needed (mean)
    cell(ip, "print('exploring')")                                # 2 display only
    cell(ip, "data = [1.0, 2.0, 3.0]")                            # 3 needed
    cell(ip, "scale = 10")                                        # 4 re-defined below
    cell(ip, "unused = {'a': 1}\nunused")                         # 5 irrelevant
    ip.run_cell("shift = offset * 2", store_history=True)         # 6 out of order: fails
    cell(ip, "offset = 0.5")                                      #   executed after its reader
    cell(ip, "shift = offset * 2")                                # 8 re-run in the right order
    cell(ip, "scale = 3")                                         # 9 the definition that counts
    cell(ip, "data.append(4.0)")                                  # 10 changes data in place
    cell(ip, "%%track --name golden\nfactor = 2\nscore = mean(data) * scale + shift * factor")
    return last_run()


def test_summary_and_run_know_the_run_is_reproducible(session):
    context = nbtrack.tracker().store.get_context(session.run_id)
    assert context["hidden_state"] == []
    assert session.metrics == {"score": 2.5 * 3 + 1.0 * 2}


def test_exported_notebook_holds_exactly_the_needed_cells_in_order(session, tmp_path):
    result = nbtrack.export(session.run_id, str(tmp_path / "golden.ipynb"))
    nb = nbformat.read(result.notebook, as_version=4)
    sources = [c.source for c in nb.cells]
    assert nb.cells[0].cell_type == "markdown" and session.run_id in sources[0]
    assert sources[1] == "%load_ext nbtrack\n%track experiment Default"
    assert sources[2:-3] == ["import math\nfrom statistics import mean", "data = [1.0, 2.0, 3.0]",
                             "offset = 0.5", "shift = offset * 2", "scale = 3",
                             "data.append(4.0)"]
    # after the earlier cells, so none of them can undo a param
    assert nb.cells[-3].metadata.tags == ["parameters"] and sources[-3] == "factor = 2"
    assert sources[-2] == ("%%track --name golden --params factor --parent " + session.run_id + "\n"
                           "# factor = 2  # set in the parameters cell\n"
                           "score = mean(data) * scale + shift * factor")
    assert "recorded = {'score': 9.5}" in sources[-1]
    assert result.warnings == [] and "Every name" in sources[0]
    requirements = result.requirements.read_text().splitlines()
    assert any(line.startswith("ipython==") for line in requirements)


def test_hidden_state_is_recorded_at_capture_and_stated_in_the_export(ip, tmp_path, capsys):
    cell(ip, "base = 4")
    ip.user_ns["secret"] = 3  # defined outside any cell (deleted cell, %run, another tool)
    cell(ip, "%%track\ntotal = base + secret")
    run = last_run()
    context = nbtrack.tracker().store.get_context(run.run_id)
    assert len(context["hidden_state"]) == 1 and "'secret'" in context["hidden_state"][0]
    assert "hidden state" in capsys.readouterr().out
    result = nbtrack.export(run.run_id, str(tmp_path / "hidden.ipynb"))
    assert len(result.warnings) == 1 and "'secret'" in result.warnings[0]
    header = nbformat.read(result.notebook, as_version=4).cells[0].source
    assert "may not be reproducible" in header and "'secret'" in header


def test_names_from_a_run_magic_are_flagged(tmp_path):
    script = tmp_path / "defs.py"
    script.write_text("threshold = 0.3\n")
    history = [{"n": 1, "source": f"%run {script}"}]
    traced = dependency_slice(history, "flag = value > threshold")
    assert set(traced.hidden) == {"threshold", "value"}
    assert "%run" in traced.hidden["threshold"]


def test_function_parameters_and_comprehension_variables_are_not_dependencies():
    traced = dependency_slice([{"n": 1, "source": "k = 2"}],
                              "def f(x):\n    return x * k\nys = [f(i) for i in range(3)]")
    assert traced.hidden == {} and [c["n"] for c in traced.cells] == [1]


def test_a_folder_means_the_run_name_inside_it_and_nothing_is_overwritten(session, tmp_path,
                                                                            ip, capsys):
    from nbtrack.cli import main

    folder = tmp_path / "out"
    folder.mkdir()
    result = nbtrack.export(session.run_id, str(folder))
    assert result.notebook == folder / "golden.ipynb"
    assert result.requirements == folder / "golden-requirements.txt"
    written = result.notebook.read_bytes()
    for attempt in (lambda: nbtrack.export(session.run_id, str(folder)),
                    lambda: nbtrack.export(session.run_id, str(folder / "golden.ipynb"))):
        with pytest.raises(ExportError) as info:
            attempt()
        assert str(info.value) == (f"{folder / 'golden.ipynb'} exists already; choose another "
                                   "name, or overwrite it with --force (force=True)")
    assert result.notebook.read_bytes() == written
    assert nbtrack.export(session.run_id, str(folder), force=True).notebook == result.notebook
    nbtrack.tracker().store.flush()
    capsys.readouterr()
    assert main(["export", session.run_id, str(folder) + "/"]) == 1
    assert capsys.readouterr().err.startswith(f"nbtrack: error: {folder / 'golden.ipynb'} "
                                              "exists already")
    assert main(["export", session.run_id, str(folder), "--force"]) == 0
    with pytest.raises(UsageError, match="exists already"):
        ip.run_line_magic("track", f"export {session.run_id} {folder}")
    ip.run_line_magic("track", f"export {session.run_id} {folder} --force")


@pytest.mark.parametrize("where, words", [
    ("missing/x.ipynb", "the folder {tmp}/missing does not exist; create it first"),
    ("x.txt", "give a notebook path ending in .ipynb, or a folder"),
])
def test_export_refuses_a_missing_folder_and_a_non_notebook(session, tmp_path, where, words):
    with pytest.raises(ExportError) as info:
        nbtrack.export(session.run_id, str(tmp_path / where))
    assert words.format(tmp=tmp_path) in str(info.value)
    assert not (tmp_path / "missing").exists()


def test_runs_not_made_by_a_cell_cannot_be_exported(tmp_path):
    with nbtrack.start_run() as run:
        nbtrack.log_metric("m", 1.0)
    with pytest.raises(NbtrackError, match="not recorded from a %%track cell"):
        nbtrack.export(run.run_id, str(tmp_path / "x.ipynb"))


def test_a_cell_using_names_of_an_earlier_tracked_cell_exports_that_cell(ip, tmp_path):
    cell(ip, "%%track\nx = 1.5\ny = x * 2")
    cell(ip, "%%track\nz = y + 1")
    run = last_run()
    context = nbtrack.tracker().store.get_context(run.run_id)
    assert context["hidden_state"] == []
    result = nbtrack.export(run.run_id, tmp_path / "chain.ipynb")
    sources = [c.source for c in nbformat.read(result.notebook, as_version=4).cells]
    # the earlier tracked cell comes as its plain body: reproducing one run records no other
    assert "x = 1.5\ny = x * 2" in sources
    assert not any("run_cell_magic" in s for s in sources)


def test_an_object_made_then_changed_by_an_earlier_cell_is_provided_by_it():
    history = [{"n": 1, "source": "from sklearn.preprocessing import StandardScaler\nX = [[1.0]]"},
               {"n": 2, "source": "sc = StandardScaler(); Z = sc.fit_transform(X)"}]
    traced = dependency_slice(history, "m = float(Z.std())")
    assert traced.hidden == {} and [c["n"] for c in traced.cells] == [1, 2]


def test_a_cell_that_updates_a_name_needs_its_earlier_value():
    history = [{"n": 1, "source": "n = 1"}, {"n": 2, "source": "n = n + 1"}]
    assert [c["n"] for c in dependency_slice(history, "m = n * 2").cells] == [1, 2]


def test_other_python_cell_magics_are_traced_through_their_body():
    history = [{"n": 1, "source": "get_ipython().run_cell_magic('time', '', 'a = 2\\n')"},
               {"n": 2, "source": "get_ipython().run_cell_magic('bash', '', 'echo a=3\\n')"}]
    traced = dependency_slice(history, "b = a + 1")
    assert traced.hidden == {} and [c["n"] for c in traced.cells] == [1]


def test_an_earlier_cell_binding_a_params_name_does_not_undo_the_param(ip):
    cell(ip, "data = [1, 2]\nfor k in [1, 2, 3]:\n    data.append(k)")
    cell(ip, "%%track\nk = [5, 6]\ntotal = sum(data) + sum(k)")
    run = last_run()
    assert run.params["k"] == [5, 6]
    result = nbtrack.reproduce(run.run_id)
    assert result.ok and [v.verdict for v in result.verdicts] == ["equal"]


def test_the_requirements_pin_nbtrack_itself(ip, tmp_path):
    cell(ip, "%%track\nx = 1.5\ny = x * 2")
    result = nbtrack.export(last_run().run_id, tmp_path / "pinned.ipynb")
    assert f"nbtrack=={nbtrack.__version__}" in result.requirements.read_text().splitlines()
