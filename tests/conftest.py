"""Shared fixtures: every test gets its own store and working directory."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from hypothesis import configuration as hypothesis_configuration
from hypothesis import settings as hypothesis_settings

from nbtrack.store import open_store
from nbtrack.tracking import Tracker

BACKENDS = ["memory", "sqlite"]
#: The backends of the store contract and registry suites (``@pytest.mark.backends``).
ALL_BACKENDS = ["memory", "sqlite", "postgres"]


_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="nbtrack-hypothesis-")


def pytest_configure(config: pytest.Config) -> None:
    """Keep hypothesis's example database and caches out of the source tree."""
    hypothesis_configuration.set_hypothesis_home_dir(_HYPOTHESIS_HOME)
    hypothesis_settings.register_profile("nbtrack", database=None)
    hypothesis_settings.load_profile("nbtrack")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_HYPOTHESIS_HOME, ignore_errors=True)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in a temporary folder with NBTRACK_STORE pointing inside it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NBTRACK_STORE", str(tmp_path / ".nbtrack"))
    from nbtrack import tracking

    monkeypatch.setattr(tracking, "_process_tracker", None)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``store`` (and ``shared_store_uri``) run once per backend: those a module's
    ``backends`` mark names, else :data:`BACKENDS`."""
    if "store_kind" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        metafunc.parametrize("store_kind", marker.args if marker else BACKENDS)


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server for the whole run, stopped and removed at the end."""
    from pg_cluster import Cluster, find_bindir

    cluster = Cluster(find_bindir())
    try:
        cluster.start()
        cluster.make_template()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory):
    """A local S3-compatible server (moto's) for the whole run, stopped at the end."""
    import s3_server as server_module

    server = server_module.start(tmp_path_factory.mktemp("s3"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_server, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new empty bucket on the test S3 server, its credentials and endpoint in the
    environment; returns ``s3://<bucket>``."""
    import s3fs

    for key, value in s3_server.environment().items():
        monkeypatch.setenv(key, value)
    bucket = f"nbtrack-{secrets.token_hex(6)}"
    s3fs.S3FileSystem(skip_instance_cache=True).mkdir(bucket)
    return f"s3://{bucket}"


@pytest.fixture
def postgres_uri(postgres_server):
    """The URI of a fresh database (with the nbtrack schema) on the test server."""
    uri = postgres_server.new_database()
    yield uri
    postgres_server.drop_database(uri)


@pytest.fixture(params=["sqlite", "postgres"])
def shared_store_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store several processes open at once: a SQLite folder, or a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "shared")
    return request.getfixturevalue("postgres_uri")


@pytest.fixture
def store_uri(store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Where a fresh store of the parametrised backend kind is."""
    if store_kind == "memory":
        return "memory:"
    if store_kind == "sqlite":
        return f"sqlite://{tmp_path / 'store'}"
    return request.getfixturevalue("postgres_uri")


@pytest.fixture
def store(store_uri: str):
    """A fresh store of each backend kind (the contract suite runs against all)."""
    s = open_store(store_uri)
    yield s
    s.close()


@pytest.fixture
def tamper():
    """``tamper(store, sha256, data)`` overwrites stored artifact content behind the
    store's back, whichever backend keeps it."""
    from nbtrack.store.artifacts import LocalContent, MemoryContent

    def overwrite(store, digest: str, data: bytes) -> None:
        content = store.backend.content
        if isinstance(content, MemoryContent):
            content.blobs[digest] = data
        elif isinstance(content, LocalContent):
            content.path_for(digest).write_bytes(data)
        else:
            store.backend.transaction(lambda c: c.execute(
                "UPDATE contents SET data = ? WHERE sha256 = ?", (data, digest)))

    return overwrite


@pytest.fixture
def tracker(store) -> Tracker:
    """A tracker writing into the parametrised store (no environment capture cost)."""
    return Tracker(store)


@pytest.fixture
def python_env(tmp_path: Path) -> dict[str, str]:
    """Environment for child processes: this interpreter's path and a private store."""
    env = dict(os.environ)
    env["NBTRACK_STORE"] = str(tmp_path / ".nbtrack")
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


@pytest.fixture
def ip():
    """IPython's test shell with nbtrack loaded and a clean namespace."""
    from IPython.testing.globalipapp import get_ipython

    shell = get_ipython()
    shell.run_line_magic("load_ext", "nbtrack")
    shell.reset(new_session=False)
    yield shell
    shell.reset(new_session=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(folder: Path) -> None:
    for plugin, values in (("apputils-extension/notification", {"fetchNews": "false"}),
                           ("notebook-extension/tracker", {"autoStartDefaultKernel": True})):
        path = folder / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def _start_lab(root: Path, store_env: str | None):
    """Run a private JupyterLab (nbtrack server extension on) on a free port with a
    token; yields its url, token and root."""
    port, token = _free_port(), secrets.token_hex(16)
    _write_settings(root / "settings")
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(root / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(root / "workspaces"),
               JUPYTER_RUNTIME_DIR=str(root / "runtime"))
    env.pop("NBTRACK_STORE", None)
    if store_env is not None:
        env["NBTRACK_STORE"] = store_env
    args = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True",
            # every handler must authenticate by itself, as the issue asks tests to check
            "--ServerApp.allow_unauthenticated_access=False",
            "--ServerApp.jpserver_extensions={'nbtrack': True}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")
    log = open(root / "lab.log", "w")
    server = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.terminate()
        pytest.fail("JupyterLab did not start: " + (root / "lab.log").read_text()[-2000:])
    yield {"url": url, "token": token, "root": root}
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A private JupyterLab whose kernels and server share one store (NBTRACK_STORE)."""
    root = tmp_path_factory.mktemp("lab")
    yield from _start_lab(root, str(root / ".nbtrack"))


@pytest.fixture(scope="module")
def lab_by_folder(tmp_path_factory):
    """A private JupyterLab without NBTRACK_STORE: each notebook's folder finds its store
    as a kernel started there would (the nearest ``.nbtrack``)."""
    root = tmp_path_factory.mktemp("labfolders")
    yield from _start_lab(root, None)


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, headless, under Playwright (one per test module)."""
    from browser import launch_browser

    yield from launch_browser()
