"""%%track in real Jupyter kernels: as JupyterLab sends cells, nbclient, nbconvert, papermill."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import nbformat
import pytest
from jupyter_client.manager import start_new_kernel

from nbtrack.entities import RunStatus
from nbtrack.store import open_store

pytestmark = pytest.mark.slow


@pytest.fixture
def kernel(tmp_path):
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def execute(kc, code, cell_id=None, timeout=120):
    """Send an execute request the way JupyterLab does (cell id in the metadata)."""
    content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
               "allow_stdin": False, "stop_on_error": True}
    msg = kc.session.msg("execute_request", content,
                         metadata={"cellId": cell_id} if cell_id else {})
    kc.shell_channel.send(msg)
    outputs = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        reply = kc.get_iopub_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") != msg["header"]["msg_id"]:
            continue
        kind = reply["msg_type"]
        if kind == "status" and reply["content"]["execution_state"] == "idle":
            return outputs
        if kind in ("stream", "display_data", "execute_result", "error"):
            outputs.append(reply)
    raise TimeoutError(code)


def texts(outputs):
    found = []
    for out in outputs:
        content = out["content"]
        found.append(content.get("text") or content.get("data", {}).get("text/plain", "")
                     or content.get("ename", ""))
    return "\n".join(found)


def store():
    return open_store(os.environ["NBTRACK_STORE"])


def test_same_cell_executed_twice_with_edits_links_runs(kernel):
    _, kc = kernel
    assert "nbtrack" in texts(execute(kc, "%load_ext nbtrack"))
    execute(kc, "%%track\nC = 1\nacc = C / 2", cell_id="6f1c-cell")
    second = execute(kc, "%%track\nC = 2\nacc = C / 2 - 0.25", cell_id="6f1c-cell")
    s = store()
    table = s.search()
    assert table.base["cell_id"] == ["6f1c-cell", "6f1c-cell"]
    first_id = table.base["run_id"][1]
    summary = [o for o in second if o["msg_type"] == "display_data"][0]["content"]["data"]
    assert f"▲0.25 vs {first_id[:10]}" in summary["text/plain"]
    assert "nbtrack-summary" in summary["text/html"]
    assert table.params["C"] == [2, 1]


def test_interrupting_the_kernel_marks_the_run_interrupted(kernel):
    km, kc = kernel
    execute(kc, "%load_ext nbtrack")
    body = "%%track\nimport time\nfor step in range(600):\n    time.sleep(0.05)\n"
    content = {"code": body, "silent": False, "store_history": True, "user_expressions": {},
               "allow_stdin": False, "stop_on_error": True}
    msg = kc.session.msg("execute_request", content)
    kc.shell_channel.send(msg)
    s = store()
    for _ in range(200):
        if s.count() == 1:
            break
        time.sleep(0.05)
    time.sleep(0.5)
    km.interrupt_kernel()
    errors = []
    while True:
        reply = kc.get_iopub_msg(timeout=60)
        if reply["parent_header"].get("msg_id") != msg["header"]["msg_id"]:
            continue
        if reply["msg_type"] == "error":
            errors.append(reply["content"]["ename"])
        if reply["msg_type"] == "status" and reply["content"]["execution_state"] == "idle":
            break
    assert errors == ["KeyboardInterrupt"]
    run = s.get_run(s.search().base["run_id"][0])
    assert run.status is RunStatus.INTERRUPTED
    assert "still usable" in texts(execute(kc, "print('still usable')"))


def notebook(*sources, parameters=None):
    nb = nbformat.v4.new_notebook()
    if parameters is not None:
        cell = nbformat.v4.new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nb.cells.extend(nbformat.v4.new_code_cell(s) for s in sources)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


TRACKED = "%%track\nscore = alpha * 2\nlosses = [1.0, 0.5]\nlosses.append(0.25)"


def test_nbclient_runs_cells_like_the_frontend(tmp_path):
    from nbclient import NotebookClient

    nb = notebook("%load_ext nbtrack", "alpha = 0.25", TRACKED, TRACKED)
    NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    summaries = [o for c in nb.cells[2:] for o in c.outputs if o.output_type == "display_data"]
    assert len(summaries) == 2 and "finished" in summaries[1].data["text/plain"]
    s = store()
    table = s.search()
    assert len(table) == 2 and len(set(table.base["cell_id"])) == 1
    assert table.metrics["score"] == [0.5, 0.5]
    run = s.get_run(table.base["run_id"][0])
    assert [m.value for m in s.metric_history(run.run_id, "losses")] == [1.0, 0.5, 0.25]


def test_nbconvert_execute(tmp_path):
    path = tmp_path / "nb.ipynb"
    nbformat.write(notebook("%load_ext nbtrack", "alpha = 3", TRACKED), path)
    done = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook",
                           "--execute", "--inplace", str(path)], capture_output=True, text=True,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert store().search().metrics["score"] == [6.0]


def test_papermill_parameters_become_params(tmp_path):
    import papermill

    path = tmp_path / "in.ipynb"
    nbformat.write(notebook("%load_ext nbtrack", TRACKED, parameters="alpha = 0.1"), path)
    papermill.execute_notebook(str(path), str(tmp_path / "out.ipynb"),
                               parameters={"alpha": 0.4}, cwd=str(tmp_path),
                               progress_bar=False, kernel_name="python3")
    table = store().search()
    assert table.params["alpha"] == [0.4]
    assert table.metrics["score"] == [0.8]


def test_models_are_written_by_a_child_process_so_the_kernel_never_imports_skops(tmp_path):
    from nbclient import NotebookClient

    nb = notebook("%load_ext nbtrack",
                  "import sklearn.linear_model\nfrom sklearn.datasets import load_iris\n"
                  "X, y = load_iris(return_X_y=True)",
                  "%%track\nclf = sklearn.linear_model.LogisticRegression(max_iter=300).fit(X, y)",
                  "import sys\nprint('skops.io' in sys.modules)")
    NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert nb.cells[3].outputs[-1]["text"] == "False\n"
    s = store()
    model = s.get_run(s.search().base["run_id"][0]).load_model("clf")
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    assert model.score(X, y) > 0.9


def test_a_model_changed_by_the_next_cell_is_saved_as_the_tracked_cell_left_it(tmp_path):
    """The file is written after the cell, from a snapshot taken when the cell ended."""
    from nbclient import NotebookClient

    nb = notebook("%load_ext nbtrack",
                  "from sklearn.linear_model import LogisticRegression\n"
                  "from sklearn.datasets import load_iris\nX, y = load_iris(return_X_y=True)",
                  "%%track\nclf = LogisticRegression(C=0.01, max_iter=300).fit(X, y)",
                  "import numpy as np, nbtrack\nkept = clf.coef_.copy()\n"
                  "clf.set_params(C=100.0).fit(X, y)\n"
                  "run = nbtrack.runs().run_id[0]\n"
                  "loaded = nbtrack.get_run(run).load_model('clf')\n"
                  "print(loaded.C, np.allclose(loaded.coef_, kept), "
                  "np.allclose(loaded.coef_, clf.coef_))")
    NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert nb.cells[3].outputs[-1]["text"] == "0.01 True False\n"
