"""PyTorch models: a state dict in safetensors plus the class path, never a pickle."""

from __future__ import annotations

import json
import pickle
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")

from nbtrack import registry  # noqa: E402
from nbtrack.errors import (ArtifactCorruptError, InvalidValueError, ModelClassError,  # noqa: E402
                            NotebookCodeError)
from nbtrack.serving.app import ServedModel  # noqa: E402
from nbtrack.store import open_store  # noqa: E402
from nbtrack.tracking import Tracker  # noqa: E402

from tracked_cells import run_tracked  # noqa: E402

NETS = textwrap.dedent("""
    import torch
    from torch import nn


    class TinyNet(nn.Module):
        def __init__(self, hidden: int = 8):
            super().__init__()
            self.hidden = nn.Linear(4, hidden)
            self.norm = nn.BatchNorm1d(hidden)
            self.out = nn.Linear(hidden, 3)

        def forward(self, x):
            return self.out(torch.relu(self.norm(self.hidden(x))))


    class Sized(nn.Module):
        def __init__(self, width):
            super().__init__()
            self.layer = nn.Linear(4, width)

        def forward(self, x):
            return self.layer(x)


    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.encode = nn.Linear(3, 3, bias=False)
            self.decode = nn.Linear(3, 3, bias=False)
            self.decode.weight = self.encode.weight

        def forward(self, x):
            return self.decode(self.encode(x))
""")

INPUT = torch.linspace(-2.0, 2.0, 20).reshape(5, 4)


@pytest.fixture
def nets(tmp_path, monkeypatch):
    """The module ``tiny_nets`` written to tmp_path and importable; forgotten afterwards."""
    (tmp_path / "tiny_nets.py").write_text(NETS)
    monkeypatch.syspath_prepend(str(tmp_path))
    import tiny_nets

    yield tiny_nets
    sys.modules.pop("tiny_nets", None)


@pytest.fixture
def store(tmp_path):
    store = open_store(f"sqlite://{tmp_path / 'store'}")
    yield store
    store.close()


def trained(net):
    """A few seeded optimiser steps, so weights and BatchNorm statistics are not fresh."""
    torch.manual_seed(0)
    optimiser = torch.optim.SGD(net.parameters(), lr=0.1)
    x, y = torch.randn(32, 4), torch.randint(0, 3, (32,))
    for _ in range(5):
        optimiser.zero_grad()
        torch.nn.functional.cross_entropy(net(x), y).backward()
        optimiser.step()
    return net.eval()


def logged(store, model, name="net"):
    tracker = Tracker(store)
    with tracker.start_run() as run:
        tracker.log_model(model, name=name)
    return tracker.get_run(run.run_id)


def test_a_module_loads_back_with_equal_outputs_dtypes_and_shapes(store, nets):
    torch.manual_seed(0)
    net = trained(nets.TinyNet(hidden=8))
    net.out.double()  # one layer in float64: a plain copy into a fresh module would cast it
    run = logged(store, net)
    loaded = run.load_model()
    assert type(loaded) is nets.TinyNet and not loaded.training
    saved, back = net.state_dict(), loaded.state_dict()
    assert list(back) == list(saved)
    for key, tensor in saved.items():
        assert (back[key].dtype, back[key].shape) == (tensor.dtype, tensor.shape), key
        assert torch.equal(back[key], tensor), key
    assert back["out.weight"].dtype == torch.float64
    assert back["norm.num_batches_tracked"].item() == 5
    record = run.artifacts[0]
    assert (record.meta["format"], record.meta["class_path"]) == ("safetensors",
                                                                   "tiny_nets.TinyNet")


def test_the_file_is_safetensors_and_loading_unpickles_nothing(store, nets, monkeypatch):
    torch.manual_seed(0)
    net = trained(nets.TinyNet())
    run = logged(store, net)
    data = store.read_artifact(run.run_id, "net")
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    assert header.pop("__metadata__") == {"format": "pt", "nbtrack.class": "tiny_nets.TinyNet"}
    assert {k: (v["dtype"], v["shape"]) for k, v in header.items()} == {
        k: ({torch.float32: "F32", torch.int64: "I64"}[t.dtype], list(t.shape))
        for k, t in net.state_dict().items()}
    assert len(data) == 8 + size + max(v["data_offsets"][1] for v in header.values())

    def refused(*args, **kwargs):
        raise AssertionError("a pickle was read")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refused)
    monkeypatch.setattr(torch, "load", refused)
    assert torch.equal(run.load_model()(INPUT), net(INPUT))


def test_a_tampered_file_is_refused(store, nets, tamper):
    run = logged(store, trained(nets.TinyNet()))
    registry.register_model(store, run.run_id, "tiny")
    record = store.artifact_record(run.run_id, "net")
    data = bytearray(store.read_artifact(run.run_id, "net"))
    data[-1] ^= 0xFF  # one weight's last byte
    tamper(store, record.sha256, bytes(data))
    with pytest.raises(ArtifactCorruptError):
        registry.load_model(store, "tiny/1")
    with pytest.raises(ArtifactCorruptError):
        run.load_model()


def test_a_class_that_does_not_import_is_a_one_line_error(store, nets, monkeypatch, tmp_path):
    run = logged(store, nets.TinyNet())
    monkeypatch.delitem(sys.modules, "tiny_nets")
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(tmp_path)])
    with pytest.raises(ModelClassError) as caught:
        run.load_model()
    assert str(caught.value) == (
        "model 'net' (tiny_nets.TinyNet) cannot be loaded: its class does not import here "
        "(No module named 'tiny_nets'); install the package that defines it or put its "
        "module on sys.path, then load again")


def test_constructor_arguments_come_from_init(store, nets):
    torch.manual_seed(0)
    sized = nets.Sized(width=6)
    run = logged(store, sized)
    with pytest.raises(ModelClassError) as caught:
        run.load_model()
    assert str(caught.value) == (
        "model 'net' (tiny_nets.Sized) needs constructor arguments to be built (width); pass "
        "them: load_model(..., init={'width': ...}) or init=lambda: Sized(...)")
    assert torch.equal(run.load_model(init={"width": 6})(INPUT), sized(INPUT))
    assert torch.equal(run.load_model(init=lambda: nets.Sized(6))(INPUT), sized(INPUT))
    with pytest.raises(ModelClassError, match=r"does not fit its saved weights when built as "
                       r"Sized\(width=5\) \(size mismatch for layer.weight"):
        run.load_model(init={"width": 5})
    with pytest.raises(InvalidValueError, match="returned a int, not a torch.nn.Module"):
        run.load_model(init=lambda: 3)


def test_a_model_of_torch_layers_alone_loads_without_its_code(store):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                              torch.nn.BatchNorm1d(16), torch.nn.Linear(16, 3, bias=False))
    run = logged(store, trained(net))
    loaded = run.load_model()
    assert repr(loaded) == repr(net) and loaded[4].bias is None
    assert torch.equal(loaded(INPUT), net(INPUT))
    assert "init_required" not in run.artifacts[0].meta


def test_tied_weights_are_saved_once_and_load_as_saved(store, nets):
    torch.manual_seed(0)
    tied = nets.Tied()
    run = logged(store, tied)
    assert run.artifacts[0].meta["shared"] == {"decode.weight": "encode.weight"}
    loaded = run.load_model()
    assert torch.equal(loaded(INPUT[:, :3]), tied(INPUT[:, :3]))
    assert torch.equal(loaded.decode.weight, loaded.encode.weight)


def test_registry_round_trip_through_an_alias(store, nets):
    torch.manual_seed(0)
    net = trained(nets.TinyNet())
    run = logged(store, net)
    version = registry.register_model(store, run.run_id, "tiny")
    registry.set_alias(store, "tiny", "production", version.version)
    assert version.format == "safetensors"
    assert version.signature == {"inputs": {"type": "tensor", "shape": [-1, 4],
                                            "dtype": "float32"}}
    loaded = registry.load_model(store, "tiny@production")
    assert torch.equal(loaded(INPUT), net(INPUT))
    served = ServedModel(store, "tiny@production")
    predicted = served.current.model.predict(INPUT.numpy().astype(np.float64))
    np.testing.assert_array_equal(predicted, net(INPUT).detach().numpy())


def test_a_tracked_cell_saves_the_module_it_created_and_trained(ip, nets):
    setup = "import torch\nfrom tiny_nets import TinyNet\nX = torch.randn(16, 4)"
    run = run_tracked(ip, setup, textwrap.dedent("""
        torch.manual_seed(0)
        net = TinyNet()
        loss_fn = torch.nn.CrossEntropyLoss()
        optimiser = torch.optim.SGD(net.parameters(), lr=0.1)
        for epoch in range(3):
            optimiser.zero_grad()
            loss = loss_fn(net(X), torch.zeros(16, dtype=torch.long))
            loss.backward()
            optimiser.step()
    """))
    assert [(a.name, a.meta["format"]) for a in run.artifacts if a.kind == "model"] == [
        ("net", "safetensors")]
    net = ip.user_ns["net"].eval()
    assert torch.equal(run.load_model()(X := ip.user_ns["X"]), net(X))


def test_a_cell_that_only_uses_a_module_does_not_save_it_a_cell_that_trains_it_does(ip, nets):
    setup = ("import torch\nfrom tiny_nets import TinyNet\ntorch.manual_seed(0)\n"
             "net = TinyNet().eval()\nX = torch.randn(8, 4)")
    used = run_tracked(ip, setup, "scores = net(X).sum().item()")
    assert [a.name for a in used.artifacts if a.kind == "model"] == []
    by_data = run_tracked(ip, "", "with torch.no_grad():\n"
                                  "    for p in net.parameters():\n        p.data *= 0.5")
    assert [a.name for a in by_data.artifacts if a.kind == "model"] == ["net"]
    steps = run_tracked(ip, "", "opt = torch.optim.SGD(net.parameters(), lr=0.1)\n"
                                "net(X).sum().backward()\nopt.step()")
    assert [a.name for a in steps.artifacts if a.kind == "model"] == ["net"]


def test_a_notebook_defined_class_warns_and_refuses_to_load_elsewhere(ip, tmp_path):
    from nbtrack.errors import NbtrackWarning

    setup = textwrap.dedent("""
        import torch
        class NotebookNet(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.layer = torch.nn.Linear(4, 2)
            def forward(self, x):
                return self.layer(x)
    """)
    with pytest.warns(NbtrackWarning) as warned:
        run = run_tracked(ip, setup, "mine = NotebookNet()")
    assert any("model 'mine' uses NotebookNet, defined in this notebook: it loads only where "
               "NotebookNet is defined" in str(w.message) for w in warned)
    script = f"import nbtrack\nnbtrack.get_run({run.run_id!r}).load_model('mine')"
    other = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           cwd=tmp_path)
    assert other.returncode == 1
    assert other.stderr.strip().splitlines()[-1] == (
        "nbtrack.errors.NotebookCodeError: model 'mine' needs NotebookNet, defined in the "
        "notebook that saved it; run the cell that defines NotebookNet first (or move it into "
        "a module and import it)")
    with pytest.raises(NotebookCodeError):
        from nbtrack.model_torch import load_torch

        load_torch("mine", {"class_path": "__main__.NoSuchNet"}, b"")


def test_a_served_module_answers_its_outputs_over_http(store, nets):
    import httpx

    from nbtrack.serving.server import ModelServer

    torch.manual_seed(0)
    net = trained(nets.TinyNet())
    registry.register_model(store, logged(store, net).run_id, "tiny")
    rows = INPUT.numpy().round(3)
    expected = net(torch.from_numpy(rows)).detach().numpy()
    with ModelServer(store, "tiny", token="torch-test-token") as server:
        answer = httpx.post(server.url + "/invocations", timeout=30,
                            headers={"Authorization": "Bearer torch-test-token"},
                            json={"inputs": rows.tolist()})
        assert answer.status_code == 200, answer.text
        np.testing.assert_allclose(answer.json()["predictions"], expected, rtol=1e-6)
        narrow = httpx.post(server.url + "/invocations", timeout=30,
                            headers={"Authorization": "Bearer torch-test-token"},
                            json={"inputs": rows[:, :3].tolist()})
        assert narrow.status_code == 400
        assert narrow.json()["message"] == "each row needs 4 values, got 3"


def test_saving_and_loading_never_import_torch_for_other_models(python_env, tmp_path):
    script = textwrap.dedent("""
        import sys
        import nbtrack
        from sklearn.linear_model import LogisticRegression
        from nbtrack.capture.estimators import LearnedState, fitted_models
        with nbtrack.start_run() as run:
            nbtrack.log_model(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), "clf")
        nbtrack.get_run(run.run_id).load_model()
        state = LearnedState({"clf": 1}, ["clf"])
        fitted_models({"clf": 1}, ["clf"], state)
        print(sorted(m for m in ("torch", "safetensors", "skl2onnx", "onnxruntime", "dask")
                     if m in sys.modules))
        # skipped only while skops was imported: scikit-learn still gets its torch wrapper
        print([type(hook).__name__ for hook in sys.meta_path if "Skip" in type(hook).__name__])
    """)
    out = subprocess.run([sys.executable, "-c", script], env=python_env, cwd=tmp_path,
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-2:] == ["[]", "[]"]


def test_without_safetensors_the_error_says_what_to_install(store, monkeypatch):
    import builtins

    from nbtrack.errors import MissingDependencyError

    real_import = builtins.__import__

    def without_safetensors(name, *args, **kwargs):
        if name.partition(".")[0] == "safetensors":
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_safetensors)
    tracker = Tracker(store)
    with tracker.start_run():
        with pytest.raises(MissingDependencyError) as caught:
            tracker.log_model(torch.nn.Linear(2, 1))
    assert str(caught.value) == ("saving a PyTorch model needs packages that are not installed "
                                 "here; pip install nbtrack[torch]")


def test_init_is_refused_for_a_scikit_learn_model(store):
    from sklearn.linear_model import LogisticRegression

    run = logged(store, LogisticRegression().fit([[0.0], [1.0]], [0, 1]), name="clf")
    with pytest.raises(InvalidValueError, match="init= is for PyTorch models; model 'clf' is "
                       "a skops file"):
        run.load_model(init={"C": 1.0})


def test_layers_inside_a_saved_module_are_saved_with_it_only(ip):
    setup = "import torch\ntorch.manual_seed(0)"
    run = run_tracked(ip, setup, "encoder = torch.nn.Linear(4, 8)\n"
                                 "model = torch.nn.Sequential(encoder, torch.nn.ReLU(), "
                                 "torch.nn.Linear(8, 3))\nactivation = torch.nn.ReLU()")
    assert [a.name for a in run.artifacts if a.kind == "model"] == ["model"]
