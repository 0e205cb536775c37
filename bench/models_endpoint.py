"""Speed of the Models section's request (``/nbtrack/api/models``) with monitoring
checks to summarise, on a real Jupyter server, and of a check's run details.

Builds a store of 10,000 plain runs plus 20 registered versions of one model, each
checked 20 times (400 checks, as ``nbtrack.monitor`` stores them): half over the
latest requests (one metric step), half over 30 daily windows (30 steps, whose
latest window is read at its last step) of 10 features. Times from this process,
HTTP round trip included, medians of 20: the models listing with no check, with
every version's latest check, and one windowed check's run details. Run:
``.venv/bin/python bench/models_endpoint.py``.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from lab_endpoints import REPEAT, _median_ms, _start

VERSIONS, CHECKS, WINDOWS, FEATURES, PLAIN_RUNS = 20, 20, 30, 10, 10_000


def _build_store(folder: Path, checks: bool) -> str | None:
    """The store; returns a windowed check's run id (None without checks)."""
    from sklearn.linear_model import LogisticRegression

    from nbtrack import registry
    from nbtrack.entities import Run, RunStatus
    from nbtrack.ids import new_run_id
    from nbtrack.store import open_store
    from nbtrack.tracking import Tracker

    rng = random.Random(0)
    store = open_store(str(folder / ".nbtrack"))
    store.bulk_import(Run(new_run_id(1.7e9 + i), status=RunStatus.FINISHED,
                          start_time=1.7e9 + i, end_time=1.7e9 + i + 3,
                          metrics={"acc": rng.random()}) for i in range(PLAIN_RUNS))
    tracker = Tracker(store)
    model = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    windowed = None
    for v in range(1, VERSIONS + 1):
        with tracker.start_run(capture_environment=False) as run:
            tracker.log_model(model, name="clf")
            tracker.log_metric("acc", 0.9)
        registry.register_model(store, run.run_id, "big")
        for c in range(CHECKS if checks else 0):
            window = "1d" if c % 2 else "last"
            tags = {"nbtrack.kind": "monitor", "nbtrack.model": "big",
                    "nbtrack.model_version": str(v), "nbtrack.window": window}
            with tracker.start_run(name=f"monitor big/{v}", tags=tags,
                                   capture_environment=False) as check:
                for step in range(WINDOWS if window == "1d" else 1):
                    values = {"requests": 100.0, "errors": 0.0, "error_rate": 0.0,
                              "latency.p50": 0.01, "latency.p95": 0.02, "latency.p99": 0.03,
                              "rows": 500.0, "throughput": 0.01, "drift.share": 0.1,
                              "drift.max_psi": 0.3, "drift.detected": 0.0}
                    for f in range(FEATURES):
                        values[f"drift.psi.f{f}"] = rng.random() / 3
                        values[f"drift.p.f{f}"] = rng.random()
                    tracker.log_metrics(values, step=step, run=check)
            if window == "1d":
                windowed = check.run_id
    store.close()
    return windowed


def main() -> None:
    print(f"{'request':56} median ms (of {REPEAT})")
    for checks in (False, True):
        root = Path(tempfile.mkdtemp(prefix="bench-models-"))
        windowed = _build_store(root, checks)
        server, url, token = _start(root)
        try:
            api = f"{url}/nbtrack/api"
            label = (f"models: {VERSIONS} versions, {CHECKS} checks each" if checks
                     else f"models: {VERSIONS} versions, never checked")
            print(f"{label:56} {_median_ms(f'{api}/models?path=nb.ipynb', token):8.1f}")
            if windowed:
                print(f"{'run details of a check over 30 windows':56} "
                      f"{_median_ms(f'{api}/runs/{windowed}?path=nb.ipynb', token):8.1f}")
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
