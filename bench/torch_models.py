"""PyTorch models in nbtrack next to PyTorch's own ``torch.save`` / ``torch.load``.

    .venv/bin/python bench/torch_models.py [--repeats N]

For a 1M- and a 25M-parameter model (seeded ``nn.Sequential`` of ``Linear`` layers and a
class of the benchmark's own, loaded by class path): ``log_model`` (safetensors bytes,
the store's write and commit) next to ``torch.save`` of the state dict to a file, and
``load_model`` (the store's sha256 check, the class built, ``load_state_dict``) next to
``torch.load(weights_only=True)`` + ``load_state_dict``; what a tracked cell adds to tell a
trained module from a used one (``training_state`` at the start and the comparison at
the end); and ``import skops.io`` in fresh processes with and without the array-API
wrappers skipped (torch installed). Medians of N repetitions; the machine is shared,
so ratios matter more than absolute times. Not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from nbtrack.model_torch import trained_since, training_state
from nbtrack.store import open_store
from nbtrack.tracking import Tracker


class Wide(nn.Module):
    """A model of the benchmark's own class (loaded by class path, not layout)."""

    def __init__(self, width: int = 2048, depth: int = 6) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = torch.relu(layer(x))
        return x


def small_model() -> nn.Module:
    return nn.Sequential(nn.Linear(64, 1024), nn.ReLU(), nn.Linear(1024, 960), nn.ReLU(),
                         nn.Linear(960, 10))


def models() -> list[tuple[str, nn.Module]]:
    torch.manual_seed(0)
    return [("Sequential, 1.1M params", small_model()),
            ("Wide (own class), 25.2M params", Wide())]


def timed(action, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_model(label: str, model: nn.Module, folder: Path, repeats: int) -> list[str]:
    tracker = Tracker(open_store(f"sqlite://{folder / 'store'}"))
    runs: list[str] = []

    def log() -> None:
        with tracker.start_run() as run:
            tracker.log_model(model, name="net")
        runs.append(run.run_id)

    def save() -> None:
        torch.save(model.state_dict(), folder / "state.pt")

    log_time, save_time = timed(log, repeats), timed(save, repeats)
    run = tracker.get_run(runs[-1])
    fresh = type(model)

    def load() -> None:
        run.load_model()

    def torch_load() -> None:
        rebuilt = fresh() if fresh is Wide else small_model()
        rebuilt.load_state_dict(torch.load(folder / "state.pt", weights_only=True))
        rebuilt.eval()

    load_time, torch_load_time = timed(load, repeats), timed(torch_load, repeats)
    before = training_state(model)
    start_time = timed(lambda: training_state(model), repeats)
    end_time = timed(lambda: trained_since(model, before), repeats)
    tracker.store.close()
    size = (folder / "state.pt").stat().st_size / 2**20
    return [f"| {label} ({size:.0f} MiB) | {log_time * 1000:.0f} | {save_time * 1000:.0f} | "
            f"{load_time * 1000:.0f} | {torch_load_time * 1000:.0f} | "
            f"{start_time * 1000:.2f} + {end_time * 1000:.2f} |"]


def skops_import(repeats: int) -> str:
    # scikit-learn is imported first, as in a kernel that fitted a model
    first = "import time, sklearn, nbtrack.skops_import; t = time.perf_counter(); "
    plain = first + "import skops.io; print(time.perf_counter() - t)"
    skipped = first + "nbtrack.skops_import.import_skops(); print(time.perf_counter() - t)"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    results = []
    for code in (plain, skipped):
        times = [float(subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                      capture_output=True, text=True).stdout)
                 for _ in range(repeats)]
        results.append(statistics.median(times))
    return (f"`import skops.io` after scikit-learn, torch installed: {results[0]:.2f} s as "
            f"it is, "
            f"{results[1]:.2f} s with the array-API wrappers skipped (median of {repeats} "
            "fresh processes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    lines = ["| model | log_model ms | torch.save ms | load_model ms | torch.load ms | "
             "tracked cell: start + end ms |", "|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        for label, model in models():
            lines += bench_model(label, model, Path(tmp), args.repeats)
    print("\n".join(lines))
    print()
    print(skops_import(args.repeats))


if __name__ == "__main__":
    main()
