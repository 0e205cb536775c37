"""`nbtrack serve`: a real server on a free loopback port, with a real registered model."""

from __future__ import annotations

import json
import threading

import httpx
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from nbtrack import registry
from nbtrack.serving.app import ServingOptions
from nbtrack.serving.server import ModelServer, _loopback
from nbtrack.store import open_store
from nbtrack.tracking import Tracker

FRAME = pd.DataFrame({"petal": [0.1, 2.0, 0.3, 1.9, 0.2, 2.2],
                      "sepal": [1.0, 0.1, 0.9, 0.2, 1.1, 0.0]})
LABELS = np.array([0, 1, 0, 1, 0, 1])


@pytest.fixture
def store(tmp_path):
    store = open_store(str(tmp_path / "store"))
    tracker = Tracker(store)
    for C in (1.0, 0.01):
        with tracker.start_run(params={"C": C}):
            tracker.log_model(LogisticRegression(C=C).fit(FRAME, LABELS), name="clf")
        registry.register_model(store, tracker.last_run_id, "flowers")
    registry.set_alias(store, "flowers", "production", 1)
    yield store
    store.close()


@pytest.fixture
def server(store):
    with ModelServer(store, "flowers@production", token="secret-token-for-tests",
                     options=ServingOptions(max_bytes=20_000, max_rows=50)) as running:
        yield running


def call(server, path="/invocations", token="secret-token-for-tests", **kwargs):
    headers = kwargs.pop("headers", {})
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    method = kwargs.pop("method", "POST")
    return httpx.request(method, server.url + path, headers=headers, timeout=30, **kwargs)


def test_health_is_open_and_everything_else_needs_the_token(server):
    assert call(server, "/health", token=None, method="GET").json() == {"status": "ok"}
    for token in (None, "wrong"):
        answer = call(server, "/v1/model", token=token, method="GET")
        assert answer.status_code == 401 and answer.json()["error_code"] == "UNAUTHENTICATED"
    in_url = call(server, "/v1/model?token=secret-token-for-tests", method="GET")
    assert in_url.status_code == 401
    assert in_url.json()["message"] == ("send the token in the Authorization header (Bearer), "
                                        "never in the URL")
    info = call(server, "/v1/model", method="GET").json()
    assert info["model"] == "flowers/1" and info["address"] == "flowers@production"


def test_the_json_forms_and_csv_predict_what_the_model_predicts_in_process(server, store):
    expected = registry.load_model(store, "flowers/1").predict(FRAME).tolist()
    rows = FRAME.to_dict("records")
    bodies = [{"json": {"dataframe_split": FRAME.to_dict("split") | {"index": None}}},
              {"json": {"dataframe_records": rows}},
              {"json": {"instances": rows}},
              {"json": {"inputs": FRAME.to_dict("list")}},
              {"content": FRAME.to_csv(index=False), "headers": {"Content-Type": "text/csv"}}]
    for body in bodies:
        answer = call(server, **body)
        assert answer.status_code == 200, answer.text
        assert answer.json()["predictions"] == expected
        assert answer.json()["model"] == "flowers/1"


def test_columns_are_checked_against_the_signature(server, store):
    answer = call(server, json={"dataframe_records": [{"petal": 0.1}]})
    assert answer.status_code == 400
    assert answer.json()["message"] == ("missing column 'sepal'; the model expects petal, "
                                        "sepal")
    extra = call(server, json={"dataframe_records": [{"petal": 0.1, "sepal": 1.0, "x": 5}]})
    assert extra.status_code == 200
    with ModelServer(store, "flowers/1", token="t", options=ServingOptions(strict=True)) as s:
        strict = call(s, token="t", json={"dataframe_records": [{"petal": 0.1, "sepal": 1.0,
                                                                   "x": 5}]})
    assert strict.status_code == 400 and "unexpected column 'x'" in strict.json()["message"]


@pytest.mark.parametrize("body, status", [
    ({"content": "a,b\n1,2", "headers": {"Content-Type": "text/plain"}}, 415),
    ({"content": json.dumps({"instances": [[0.0] * 2] * 2000}),
      "headers": {"Content-Type": "application/json"}}, 413),
    ({"json": {"instances": [{"petal": 0.1, "sepal": 1.0}] * 60}}, 413),
    ({"content": "[" * 40 + "]" * 40, "headers": {"Content-Type": "application/json"}}, 400),
    ({"json": {"rows": []}}, 400),
])
def test_bad_requests_get_their_status_and_a_json_message(server, body, status):
    answer = call(server, **body)
    assert answer.status_code == status
    payload = answer.json()
    assert set(payload) == {"error_code", "message"} and "Traceback" not in payload["message"]


def test_reload_after_an_alias_move_serves_the_new_version_without_a_failed_request(server,
                                                                                      store):
    statuses: list[int] = []
    stop = threading.Event()

    def keep_calling() -> None:
        while not stop.is_set():
            statuses.append(call(server, json={"dataframe_records": [{"petal": 0.1,
                                                                       "sepal": 1.0}]})
                            .status_code)

    worker = threading.Thread(target=keep_calling)
    worker.start()
    try:
        registry.set_alias(store, "flowers", "production", 2, expected=1)
        swapped = call(server, "/-/reload")
    finally:
        stop.set()
        worker.join()
    assert swapped.json() == {"model": "flowers/2", "before": "flowers/1"}
    assert call(server, json={"dataframe_records": [{"petal": 0.1, "sepal": 1.0}]}).json()[
        "model"] == "flowers/2"
    assert statuses and set(statuses) == {200}


def test_every_request_is_logged_to_the_store(store):
    with ModelServer(store, "flowers/1", token="t") as running:
        call(running, token="t", json={"dataframe_records": [{"petal": 0.1, "sepal": 1.0}]})
        call(running, token="t", json={"dataframe_records": [{"petal": 0.1}]})
    logged = store.backend.registry.requests("flowers")
    assert [(r["version"], r["status"], r["rows"]) for r in logged] == [(1, 200, 1), (1, 400, 0)]
    assert logged[0]["inputs"]["columns"] == ["petal", "sepal"]
    assert logged[0]["predictions"] == [0]
    with ModelServer(store, "flowers/1", token="t",
                     options=ServingOptions(log_inputs=False)) as private:
        call(private, token="t", json={"dataframe_records": [{"petal": 0.1, "sepal": 1.0}]})
    assert store.backend.registry.requests("flowers")[-1]["inputs"] is None


def test_only_loopback_hosts_count_as_local():
    assert [_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "10.0.0.5")] == \
        [True, True, True, False, False]


@pytest.mark.slow
def test_a_bounded_load_on_loopback_is_served_without_an_error_and_every_request_logged(store):
    import statistics
    import time
    from concurrent.futures import ThreadPoolExecutor

    body = {"dataframe_records": FRAME.to_dict("records")}
    with ModelServer(store, "flowers@production", token="t") as running:
        client = httpx.Client(base_url=running.url, headers={"Authorization": "Bearer t"},
                              timeout=30)

        def one(_: int) -> tuple[int, float]:
            started = time.perf_counter()
            status = client.post("/invocations", json=body).status_code
            return status, time.perf_counter() - started

        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(one, range(400)))
        client.close()
    statuses = [status for status, _ in results]
    latencies = sorted(latency for _, latency in results)
    p50 = statistics.median(latencies)
    p99 = latencies[int(0.99 * len(latencies)) - 1]
    print(f"400 requests, 4 clients: p50 {p50 * 1e3:.1f} ms, p99 {p99 * 1e3:.1f} ms, "
          f"errors {sum(s != 200 for s in statuses)}")
    assert statuses == [200] * 400
    assert len(store.backend.registry.requests("flowers")) == 400


def test_predict_checks_a_file_as_the_server_does_and_writes_the_predictions(store, tmp_path,
                                                                              capsys):
    from nbtrack.cli import main

    FRAME.to_csv(tmp_path / "in.csv", index=False)
    FRAME[["petal"]].to_csv(tmp_path / "short.csv", index=False)
    uri = store.uri
    assert main(["--store", uri, "predict", "flowers@production", str(tmp_path / "in.csv"),
                 "-o", str(tmp_path / "out.csv")]) == 0
    expected = registry.load_model(store, "flowers/1").predict(FRAME).tolist()
    assert pd.read_csv(tmp_path / "out.csv")["prediction"].tolist() == expected
    capsys.readouterr()
    assert main(["--store", uri, "predict", "flowers/1", str(tmp_path / "short.csv")]) == 1
    assert capsys.readouterr().err == (f"nbtrack: error: {tmp_path / 'short.csv'}: missing "
                                       "column 'sepal'; the model expects petal, sepal\n")


@pytest.mark.slow
def test_the_command_serves_and_sigterm_writes_the_queued_request_log(store, tmp_path,
                                                                      python_env):
    import signal
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(python_env, NBTRACK_SERVE_TOKEN="from-the-environment")
    command = [sys.executable, "-m", "nbtrack", "--store", store.uri, "serve",
               "flowers@production", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.05)
        headers = {"Authorization": "Bearer from-the-environment"}
        body = {"dataframe_records": [{"petal": 0.1, "sepal": 1.0}]}
        assert [httpx.post(url + "/invocations", json=body, headers=headers).status_code
                for _ in range(20)] == [200] * 20
        server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0
    assert "token: from NBTRACK_SERVE_TOKEN" in out and "from-the-environment" not in out
    assert len(open_store(store.uri).backend.registry.requests("flowers")) == 20


def test_monitor_reports_errors_latency_and_the_drift_of_what_was_served(store):
    from nbtrack.monitoring.monitor import monitor_served

    tracker = Tracker(store)
    shifted = FRAME.assign(petal=FRAME["petal"] + 5.0)
    with ModelServer(store, "flowers@production", token="t") as running:
        for _ in range(10):
            call(running, token="t", json={"dataframe_records": shifted.to_dict("records")})
        call(running, token="t", json={"dataframe_records": [{"petal": 0.1}]})
    reference = pd.concat([FRAME] * 10, ignore_index=True)
    health = monitor_served(tracker, "flowers@production", reference, record=False)
    assert (health.address, health.requests) == ("flowers/1", 11)
    assert health.error_rate == pytest.approx(1 / 11)
    assert 0 < health.p50 <= health.p95 <= health.p99
    assert health.drift.features.set_index("feature").loc["petal", "severity"] == "major"
    assert health.drift.drift_detected
    from nbtrack.errors import InvalidValueError

    with pytest.raises(InvalidValueError, match="no request to flowers/2 is logged yet"):
        monitor_served(tracker, "flowers/2")



def test_a_request_the_model_fails_on_is_logged_as_an_error(store):
    with ModelServer(store, "flowers/1", token="t") as running:
        ok = call(running, token="t", json={"dataframe_records": [{"petal": 0.1, "sepal": 1}]})
        failed = call(running, token="t", json={"dataframe_split": {
            "columns": ["petal", "sepal"], "data": [[None, 1.0]]}})
    assert (ok.status_code, failed.status_code) == (200, 500)
    assert failed.json()["message"] == "the model failed on this input (ValueError)"
    assert [r["status"] for r in store.backend.registry.requests("flowers")] == [200, 500]


def test_the_monitor_command_exits_1_when_the_served_inputs_drifted(store, tmp_path, capsys):
    from nbtrack.cli import main

    with ModelServer(store, "flowers@production", token="t") as running:
        shifted = FRAME.assign(petal=FRAME["petal"] + 5.0)
        for _ in range(10):
            call(running, token="t", json={"dataframe_records": shifted.to_dict("records")})
    pd.concat([FRAME] * 10, ignore_index=True).to_csv(tmp_path / "reference.csv", index=False)
    capsys.readouterr()
    assert main(["--store", store.uri, "monitor", "flowers@production", "--reference",
                 str(tmp_path / "reference.csv"), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert (data["model"], data["requests"], data["error_rate"], data["drifted"]) == (
        "flowers/1", 10, 0.0, ["petal"])
    assert main(["--store", store.uri, "monitor", "flowers@production"]) == 1
    assert capsys.readouterr().err.startswith("nbtrack: error: flowers/1 has no reference "
                                              "sample to compare with; pass reference=")
