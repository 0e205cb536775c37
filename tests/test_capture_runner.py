"""A tracked cell runs like an untracked one: same traceback, same display, no false notes."""

from __future__ import annotations

import pickle
import re

import nbformat
import pytest

import nbtrack
from nbtrack.errors import NbtrackWarning
from nbtrack.entities import RunStatus


def last_run():
    table = nbtrack.tracker().store.search(limit=1)
    return nbtrack.get_run(table.base["run_id"][0])


def traceback_of(ip, capsys, cell):
    capsys.readouterr()
    result = ip.run_cell(cell, store_history=True)
    assert not result.success
    return result.error_in_exec, capsys.readouterr().out


def test_traceback_shows_the_cell_as_without_the_magic(ip, capsys):
    ip.run_cell("def divide(a):\n    return a / 0", store_history=True)
    plain_exc, plain = traceback_of(ip, capsys, "x = 1\ndivide(x)")
    tracked_exc, tracked = traceback_of(ip, capsys, "%%track\nx = 1\ndivide(x)")
    assert type(tracked_exc) is type(plain_exc) and str(tracked_exc) == str(plain_exc)
    assert "run_cell_magic" not in tracked and "skipping hidden" not in tracked
    assert "nbtrack" not in tracked.split("✖")[0]
    # the same frames, each pointing at the same code
    for line in ("----> 3 divide(x)", "----> 2     return a / 0",
                 "ZeroDivisionError: division by zero"):
        assert line in tracked
    assert "----> 2 divide(x)" in plain and "----> 2     return a / 0" in plain


def test_stored_traceback_starts_in_the_cell(ip):
    ip.run_cell("%%track --quiet\nvalue = int('x')", store_history=True)
    run = last_run()
    assert run.status is RunStatus.FAILED
    assert "ValueError: invalid literal" in run.error and "value = int('x')" in run.error
    assert "nbtrack" not in run.error and "run_body" not in run.error


def test_exception_still_pickles_after_a_tracked_cell(ip):
    result = ip.run_cell("%%track --quiet\nraise ValueError('bad', 3)", store_history=True)
    exc = result.error_in_exec
    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is ValueError and copy.args == ("bad", 3)


def test_exceptions_that_render_themselves_are_left_alone(ip, capsys):
    ip.run_cell("class Shown(Exception):\n    def _render_traceback_(self):\n"
                "        return ['custom rendering']", store_history=True)
    _, out = traceback_of(ip, capsys, "%%track --quiet\nraise Shown()")
    assert "custom rendering" in out


def test_cell_that_builds_then_updates_its_own_objects_has_no_hidden_state(ip, capsys):
    ip.run_cell("from sklearn.linear_model import SGDClassifier\nX = [[0.0], [1.0]] * 5\n"
                "y = [0, 1] * 5", store_history=True)
    capsys.readouterr()
    ip.run_cell("%%track\nclf = SGDClassifier(random_state=0)\nlosses, accs = [], []\n"
                "for epoch in range(3):\n    clf.partial_fit(X, y, classes=[0, 1])\n"
                "    accs.append(clf.score(X, y))\n    losses.append(1.0 / (epoch + 1))\n",
                store_history=True)
    out = capsys.readouterr().out
    assert "finished" in out and "hidden state" not in out
    context = nbtrack.tracker().store.get_context(last_run().run_id)
    assert context["hidden_state"] == []


def test_a_name_read_before_the_cell_binds_it_is_still_hidden_state(ip, capsys):
    capsys.readouterr()
    ip.user_ns["counter_from_nowhere"] = 1
    ip.run_cell("%%track\ncounter_from_nowhere += 1", store_history=True)
    assert "hidden state: counter_from_nowhere" in capsys.readouterr().out


def test_interrupt_while_nbtrack_saves_a_model_leaves_no_run_open(ip):
    ip.run_cell("from sklearn.base import BaseEstimator\n"
                "class SlowToSave(BaseEstimator):\n"
                "    def fit(self, X=None, y=None):\n        self.done_ = True\n"
                "        return self\n"
                "    def __getstate__(self):\n        raise KeyboardInterrupt\n",
                store_history=True)
    result = ip.run_cell("%%track --quiet\nm = SlowToSave().fit()\nacc = 0.5 + 0.25",
                         store_history=True)
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    assert ip.user_ns["acc"] == 0.75, "the cell itself had finished"
    interrupted = last_run()
    assert interrupted.status is RunStatus.INTERRUPTED and interrupted.metrics == {"acc": 0.75}
    assert nbtrack.active_run() is None
    ip.run_cell("%%track --quiet\nz = 1", store_history=True)
    after = last_run()
    assert after.parent_run_id is None and after.status is RunStatus.FINISHED


def test_nbtrack_warnings_point_at_nothing_internal(ip):
    with pytest.warns(NbtrackWarning) as caught:
        assert ip.run_cell("%%track --quiet --params missing\nq = 1", store_history=True).success
    assert [w.filename for w in caught] == ["nbtrack"]
    assert str(caught[0].message) == "nbtrack did not record 'missing': not defined when the " \
        "cell ended"


@pytest.mark.slow
def test_kernel_error_reply_carries_the_plain_traceback(tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in
                ("%load_ext nbtrack", "%%track\nC = 1\nboom = C / 0")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    NotebookClient(nb, timeout=120, allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    error = [o for o in nb.cells[1].outputs if o.output_type == "error"][0]
    assert error.ename == "ZeroDivisionError" and error.evalue == "division by zero"
    text = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(error.traceback))
    assert "----> 3 boom = C / 0" in text
    assert "run_cell_magic" not in text and "skipping hidden" not in text
    summary = [o for o in nb.cells[1].outputs if o.output_type == "display_data"][0]
    assert "failed" in summary.data["text/plain"]
    assert last_run().status is RunStatus.FAILED
