"""A throwaway S3-compatible server for the tests (the ``s3_server`` fixture).

moto's standalone server (``moto_server`` from the ``moto[server]`` package) on a
free loopback port: a real HTTP endpoint speaking the S3 API, so the code under
test goes through s3fs and botocore exactly as against AWS. Stopped at the end.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

#: Credentials the server accepts (it accepts any); set in the tests' environment only.
ACCESS_KEY = "nbtrack-test-access"
SECRET_KEY = "nbtrack-test-secret-do-not-store"


@dataclass
class S3Server:
    """A running server: its endpoint and the process."""

    endpoint: str
    process: subprocess.Popen[bytes]

    def environment(self) -> dict[str, str]:
        """The variables a client needs to reach this server."""
        return {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": self.endpoint}

    def stop(self) -> None:
        """Stop the server and wait for it."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(log_folder: Path) -> S3Server:
    """Start ``moto_server`` on 127.0.0.1 and wait until it answers."""
    executable = shutil.which("moto_server", path=os.path.dirname(sys.executable))
    if executable is None:
        raise RuntimeError("moto_server is missing; install the test extra "
                           "(pip install -e '.[test]')")
    port = _free_port()
    log = open(log_folder / "moto.log", "wb")
    process = subprocess.Popen([executable, "-H", "127.0.0.1", "-p", str(port)],
                               stdout=log, stderr=subprocess.STDOUT)
    server = S3Server(f"http://127.0.0.1:{port}", process)
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited; see {log_folder / 'moto.log'}")
        try:
            urllib.request.urlopen(f"{server.endpoint}/moto-api/", timeout=2)
            return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError("moto_server did not answer within 60 s")
