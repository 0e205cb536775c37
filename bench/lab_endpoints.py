"""Speed of the requests the JupyterLab extension makes, on a real Jupyter server
(nbtrack only: MLflow has no notebook-side counterpart to compare with).

Builds a store of 10,000 runs spread over 200 cells with the bulk path, starts
JupyterLab with the nbtrack server extension, then times from this process (HTTP
round trip included, medians of 20): the Runs sidebar's refresh (newest 100), the
same with a filter, one run, and the badges of a 200-cell notebook (one ``cells``
call with every cell id). Run: ``.venv/bin/python bench/lab_endpoints.py``.
"""

from __future__ import annotations

import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

RUNS, CELLS, REPEAT = 10_000, 200, 20


def _build_store(folder: Path) -> list[str]:
    from nbtrack.entities import Run, RunStatus
    from nbtrack.ids import new_run_id
    from nbtrack.store import open_store

    rng = random.Random(0)
    store = open_store(str(folder / ".nbtrack"))
    cells = [f"cell-{i:03d}" for i in range(CELLS)]
    store.bulk_import(Run(new_run_id(1.7e9 + i), experiment="big", status=RunStatus.FINISHED,
                          start_time=1.7e9 + i, end_time=1.7e9 + i + 3, name=f"run{i}",
                          cell_id=cells[i % CELLS],
                          params={"model": rng.choice(["rf", "lr"]), "lr": rng.random()},
                          metrics={"acc": rng.random(), "loss": rng.random()})
                      for i in range(RUNS))
    store.close()
    return cells


def _start(root: Path) -> tuple[subprocess.Popen, str, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(root / "runtime"))
    env.pop("NBTRACK_STORE", None)
    args = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}", "--ServerApp.jpserver_extensions={'nbtrack': True}"]
    if os.geteuid() == 0:
        args.append("--allow-root")
    server = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(180):
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            return server, url, token
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("JupyterLab did not start")


def _median_ms(url: str, token: str) -> float:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    urllib.request.urlopen(request).read()  # the store is opened once per server
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        urllib.request.urlopen(request).read()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="bench-lab-"))
    cells = _build_store(root)
    server, url, token = _start(root)
    try:
        api = f"{url}/nbtrack/api"
        some_run = None
        with urllib.request.urlopen(urllib.request.Request(
                f"{api}/runs?limit=1", headers={"Authorization": f"token {token}"})) as reply:
            import json

            some_run = json.loads(reply.read())["runs"][0]["run_id"]
        rows = [
            ("Runs sidebar refresh (newest 100 of 10,000)", f"{api}/runs?path=nb.ipynb&limit=100"),
            ("  with a filter", f"{api}/runs?path=nb.ipynb&limit=100&filter="
             + urllib.parse.quote("metrics.acc > 0.9 and params.model = 'rf'")),
            ("one run", f"{api}/runs/{some_run}?path=nb.ipynb"),
            (f"badges of a {CELLS}-cell notebook", f"{api}/cells?path=nb.ipynb&ids="
             + ",".join(cells)),
        ]
        print(f"{'request':48} median ms (of {REPEAT})")
        for label, address in rows:
            print(f"{label:48} {_median_ms(address, token):8.1f}")
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
