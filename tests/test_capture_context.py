"""Where a tracked cell ran: its identity, history, notebook, papermill parameters, resources."""

from __future__ import annotations

import sys
import time

from nbtrack.capture.context import (ResourceMeter, cell_identity, execution_history,
                                     notebook_path, papermill_parameters)


def test_cell_identity_prefers_the_frontend_id_then_the_name_then_the_code():
    assert cell_identity("a1b2", "baseline", "x = 1") == "a1b2"
    assert cell_identity(None, "baseline", "x = 1") == "name-baseline"
    assert cell_identity(None, None, "C = 0.5\nacc = f(C)") == \
        cell_identity(None, None, "C = 2.0\nacc = f(C)")
    assert cell_identity(None, None, "C = 0.5\nacc = f(C)") != \
        cell_identity(None, None, "C = 0.5\nacc = g(C)")


def test_execution_history_is_earlier_non_empty_cells_in_order():
    inputs = ["", "import numpy", "", "x = 1", "%%track\ny = x"]
    assert execution_history(inputs, 4) == [{"n": 1, "source": "import numpy"},
                                            {"n": 3, "source": "x = 1"}]


def test_notebook_path_from_jupyterlab_or_vscode(monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert notebook_path({}) is None
    assert notebook_path({"__session__": "work/iris.ipynb"}) == "work/iris.ipynb"
    assert notebook_path({"__session__": "console-1"}) is None
    assert notebook_path({"__vsc_ipynb_file__": "/home/u/a.ipynb"}) == "/home/u/a.ipynb"
    monkeypatch.setenv("JPY_SESSION_NAME", "b.ipynb")
    assert notebook_path({}) == "b.ipynb"


def test_papermill_parameters_come_from_the_last_injected_cell():
    inputs = ["", "alpha = 0.1\nepochs = 3", "# Parameters\nalpha = 0.5\n",
              "# Parameters\nalpha = 0.7\nname = 'x'\n", "score = alpha * 2"]
    ns = {"alpha": 0.7, "epochs": 3, "name": "x"}
    assert papermill_parameters(inputs, ns) == {"alpha": 0.7, "name": "x"}
    assert papermill_parameters(["", "alpha = 0.1"], ns) == {}


def test_resource_meter_reports_wall_cpu_and_peak_memory():
    meter = ResourceMeter().start()
    sum(i * i for i in range(200_000))
    time.sleep(0.01)
    usage = meter.stop()
    assert usage["wall_time_s"] >= 0.01 and usage["cpu_time_s"] > 0
    assert usage["peak_rss_mb"] > 1
    if "torch" not in sys.modules:  # GPU memory only when the user's code brought torch
        assert "gpu_peak_memory_mb" not in usage
