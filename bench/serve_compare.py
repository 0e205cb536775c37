"""`nbtrack serve` next to `mlflow models serve`, the same model and payloads.

Run with the benchmark's Python (``bash bench/run.sh serve``). Each system serves
a LogisticRegression fitted on iris (a DataFrame, so both know the columns) from
its own store in a temporary folder, started as a command the way a user starts
it; one client on one keep-alive connection sends the same JSON bodies. The nbtrack
version is registered with ``onnx=True`` and its training table as reference, so
plain ``nbtrack serve`` serves its ONNX export through onnxruntime (checked equal to
the model on the 150 rows at registration; the server's ``/v1/model`` is asked which
format it serves, and the bench stops if it is not that one); ``nbtrack serve
--model-file`` serves the skops file. Reported: time from the
command to the first successful prediction, and for 1-row and 1,000-row requests
the requests per second and p50/p99 latency. ``--runs N`` measures N rounds back to
back, each with fresh server processes; the table shows the first and, in brackets,
the others.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ONE_ROW, MANY_ROWS = 2000, 100
TOKEN = "bench-token-0123456789abcdef"


def _data():
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, LogisticRegression(max_iter=500).fit(X, y)


def _bodies(X) -> dict[str, bytes]:
    import pandas as pd

    many = pd.concat([X] * 7, ignore_index=True).head(1000)
    return {size: json.dumps({"dataframe_split": frame.to_dict("split") | {"index": None}})
            .encode() for size, frame in (("1 row", X.head(1)), ("1,000 rows", many))}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(conn: http.client.HTTPConnection, body: bytes, headers: dict[str, str]) -> int:
    conn.request("POST", "/invocations", body, headers)
    response = conn.getresponse()
    response.read()
    return response.status


def _first_prediction(port: int, body: bytes, headers: dict[str, str], started: float,
                      process: subprocess.Popen) -> float:
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {process.stderr.read()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            if _post(conn, body, headers) == 200:
                conn.close()
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.02)


def _load(port: int, body: bytes, headers: dict[str, str], n: int) -> dict[str, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for _ in range(5):
        _post(conn, body, headers)
    latencies, errors = [], 0
    started = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        errors += _post(conn, body, headers) != 200
        latencies.append(time.perf_counter() - t)
    total = time.perf_counter() - started
    conn.close()
    latencies.sort()
    return {"rps": n / total, "p50": statistics.median(latencies),
            "p99": latencies[max(0, int(0.99 * n) - 1)], "errors": errors}


def _check_format(port: int, headers: dict[str, str], expected: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/v1/model", headers=headers)
    served = json.loads(conn.getresponse().read())["served_format"]
    conn.close()
    if served != expected:
        raise RuntimeError(f"the server serves {served}, not {expected}")


def _measure(command: list[str], env: dict[str, str], port: int,
             headers: dict[str, str], bodies: dict[str, bytes],
             served: str | None) -> dict[str, object]:
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        first = _first_prediction(port, bodies["1 row"], headers, started, process)
        results: dict[str, object] = {"first": first}
        if served is not None:
            _check_format(port, headers, served)
        for size, body in bodies.items():
            results[size] = _load(port, body, headers, ONE_ROW if size == "1 row" else MANY_ROWS)
        return results
    finally:
        process.terminate()
        process.wait(30)


def main(runs: int = 2) -> None:
    X, model = _data()
    bodies = _bodies(X)
    json_headers = {"Content-Type": "application/json"}
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="nbtrack-bench-serve-") as folder:
        # MLflow puts a logged model under ./mlruns of the working directory
        os.chdir(folder)
        env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true",
                   NBTRACK_STORE=str(Path(folder) / ".nbtrack"), NBTRACK_SERVE_TOKEN=TOKEN)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        # mlflow models serve starts `uvicorn` by name: the venv's bin must be on PATH
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        import mlflow
        import mlflow.sklearn

        mlflow.set_tracking_uri(f"sqlite:///{folder}/mlflow.db")
        with mlflow.start_run():
            info = mlflow.sklearn.log_model(model, name="model", input_example=X.head(3))
        os.environ["NBTRACK_STORE"] = env["NBTRACK_STORE"]
        import nbtrack

        from nbtrack.capture.estimators import signature_for

        with nbtrack.start_run() as run:
            # the signature a %%track cell records; the ONNX export is built from it
            nbtrack.tracker().log_model(model, name="model",
                                        signature=signature_for(model, {"X": X}))
        version = nbtrack.register_model(run.run_id, "iris", onnx=True, reference=X)
        assert version.tags["nbtrack.onnx.agrees"] == "150/150", version.tags
        nbtrack.set_alias("iris", "production", 1)
        nbtrack.tracker().store.flush()
        env["MLFLOW_TRACKING_URI"] = f"sqlite:///{folder}/mlflow.db"
        ours = json_headers | {"Authorization": f"Bearer {TOKEN}"}
        nbtrack_serve = [sys.executable, "-m", "nbtrack", "serve", "iris@production"]
        commands = {
            "nbtrack serve": (lambda port: [*nbtrack_serve, "--port", str(port)], ours),
            "nbtrack serve --model-file": (lambda port: [*nbtrack_serve, "--model-file",
                                                         "--port", str(port)], ours),
            "mlflow models serve": (lambda port: [
                sys.executable, "-m", "mlflow", "models", "serve", "-m", info.model_uri,
                "--env-manager", "local", "-p", str(port), "-h", "127.0.0.1"],
                json_headers)}
        formats = {"nbtrack serve": "onnx", "nbtrack serve --model-file": "skops"}
        rounds = []
        for _ in range(runs):
            measured = {}
            for name, (command, headers) in commands.items():
                port = _free_port()
                measured[name] = _measure(command(port), env, port, headers, bodies,
                                          formats.get(name))
            rounds.append(measured)
        os.chdir(here)
    _table(rounds, list(bodies))


def _cell(values: list[float], form: str) -> str:
    first = form.format(values[0])
    return first if len(values) == 1 else \
        f"{first} ({', '.join(form.format(v) for v in values[1:])})"


def _table(rounds: list[dict[str, dict]], sizes: list[str]) -> None:
    names = list(rounds[0])
    mlflow = names[-1]

    def of(name: str, key: str, size: str | None = None) -> list[float]:
        return [float(r[name][size][key] if size else r[name][key]) for r in rounds]

    print("| | " + " | ".join(names) + " | MLflow ÷ nbtrack serve, --model-file | target |")
    print("|---|" + "---:|" * len(names) + "---:|---|")
    firsts = {name: of(name, "first") for name in names}
    ratios = " / ".join(_cell([m / o for m, o in zip(firsts[mlflow], firsts[name])],
                              "{:.1f}×") for name in names[:-1])
    print("| command → first prediction | " +
          " | ".join(_cell(firsts[name], "{:.2f} s") for name in names) +
          f" | {ratios} sooner | ≥ 10× |")
    for size in sizes:
        rps = {name: of(name, "rps", size) for name in names}
        ratios = " / ".join(_cell([o / m for m, o in zip(rps[mlflow], rps[name])],
                                  "{:.1f}×") for name in names[:-1])
        print(f"| {size}: requests/s | " +
              " | ".join(_cell(rps[name], "{:,.0f}") for name in names) +
              f" | {ratios} | {'≥ 5×' if size == '1 row' else ''} |")
        cells = [_cell([p50 * 1e3 for p50 in of(name, "p50", size)], "{:.1f}") + " / " +
                 _cell([p99 * 1e3 for p99 in of(name, "p99", size)], "{:.1f}") + " ms"
                 for name in names]
        print(f"| {size}: p50 / p99 | " + " | ".join(cells) +
              f" | | {'p99 ≤ MLflow p50' if size == '1 row' else ''} |")
        print(f"| {size}: errors | " +
              " | ".join(str(int(sum(of(name, "errors", size)))) for name in names) +
              " | | |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="rounds back to back (2)")
    main(parser.parse_args().runs)
