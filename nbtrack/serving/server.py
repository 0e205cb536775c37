"""Running the model server: uvicorn on 127.0.0.1, in a background thread or in front."""

from __future__ import annotations

import ipaddress
import os
import secrets
import signal
import threading
import time
import warnings
from typing import Any

from ..errors import NbtrackWarning
from ..store import Store
from .app import ServedModel, ServingOptions, build_app
from .request_log import RequestLog

__all__ = ["ModelServer", "TOKEN_ENV"]

#: Where a fixed token can be given (else a new random one per server).
TOKEN_ENV = "NBTRACK_SERVE_TOKEN"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ModelServer:
    """A model server for one address (``NAME``, ``NAME/3``, ``NAME@production``).

    Parameters
    ----------
    store : Store
    address : str
    host : str
        ``127.0.0.1`` unless told otherwise (any other host is warned about).
    port : int
        0 picks a free port.
    token : str, optional
        The Bearer token; default ``NBTRACK_SERVE_TOKEN``, else a new random one.
    options : ServingOptions, optional
        Limits and switches (defaults: 10 MB bodies, 100,000 rows, 30 s).
    """

    def __init__(self, store: Store, address: str, host: str = "127.0.0.1", port: int = 0,
                 token: str | None = None, options: ServingOptions | None = None) -> None:
        import uvicorn

        options = options or ServingOptions()
        if not _loopback(host):
            warnings.warn(f"serving on {host}: reachable from other machines; every request "
                          "still needs the token", NbtrackWarning, stacklevel=2)
        self.token = token or os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(32)
        self.token_from_env = token is None and bool(os.environ.get(TOKEN_ENV))
        self.served = ServedModel(store, address, options.trusted, options.onnx)
        self.log = RequestLog(store, keep_inputs=options.log_inputs)
        hosts = ("127.0.0.1", "localhost", host) if host not in ("0.0.0.0", "::") else ("*",)
        app = build_app(self.served, self.token, self.log, options, hosts)
        # no access log: a request line may carry what a client should not have sent
        config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                                access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self.host = host
        self.port = port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    def _bound_port(self) -> int:
        for server in getattr(self._server, "servers", []):
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return self.port

    def start(self) -> ModelServer:
        """Serve in a background thread; return once the socket is listening."""
        self._thread = threading.Thread(target=self._server.run, name="nbtrack-serve",
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the model server did not start on {self.host}:"
                                   f"{self.port}; is the port in use?")
            time.sleep(0.01)
        self.port = self._bound_port()
        return self

    def run(self) -> None:
        """Serve in this thread until interrupted (SIGINT/SIGTERM), then flush the log.

        uvicorn shuts down gracefully on SIGTERM and then raises the signal again for the
        handler it found; that handler is this one, so the queued request log is written
        and the process ends with status 0 instead of dying from the signal.
        """
        def stopped(signum: int, frame: Any) -> None:
            raise SystemExit(0)

        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, stopped) if main else None
        try:
            self._server.run()
        finally:
            self.log.close()
            if main:
                signal.signal(signal.SIGTERM, previous)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and write the queued request log (waiting at most ``timeout``)."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self.log.close(timeout)

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<ModelServer {self.served.current.version.address} at {self.url}>"
