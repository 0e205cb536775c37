"""The model server's web application (Starlette): authenticated, bounded, logged.

Routes: ``GET /health`` (open, no details), ``GET /v1/model``,
``POST /invocations`` (MLflow's JSON forms and CSV) and ``POST /-/reload``
(re-resolve the address and swap the model in one assignment). Every route but
``/health`` needs ``Authorization: Bearer <token>``; a token in the query string
is refused. Errors are ``{"error_code", "message"}`` JSON, mapped in one place,
never with a traceback.
"""

from __future__ import annotations

import asyncio
import hmac
import time
import uuid
from dataclasses import dataclass, replace
from typing import Any, Awaitable, Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..errors import NbtrackError
from ..registry import load_model, resolve
from ..store import Store
from ..versions import ModelVersion
from .inputs import BadInput, conform, model_signature, parse_body
from .request_log import RequestLog

__all__ = ["ServingOptions", "ServedModel", "build_app"]

_CODES = {400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 404: "NOT_FOUND",
          405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE",
          415: "UNSUPPORTED_MEDIA_TYPE", 500: "INTERNAL_ERROR", 504: "TIMEOUT"}


@dataclass(frozen=True)
class ServingOptions:
    """Limits and switches of a model server."""

    max_bytes: int = 10 * 1024 * 1024
    max_rows: int = 100_000
    timeout: float = 30.0
    strict: bool = False
    log_inputs: bool = True
    trusted: bool = False


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error_code": _CODES.get(status, "ERROR"), "message": message},
                        status_code=status)


class ServedModel:
    """The model behind an address; :meth:`reload` swaps it in one assignment."""

    def __init__(self, store: Store, address: str, trusted: bool = False) -> None:
        self.store, self.address, self.trusted = store, address, trusted
        self.current: tuple[ModelVersion, Any] = self._load()

    def _load(self) -> tuple[ModelVersion, Any]:
        version = resolve(self.store, self.address)
        model = load_model(self.store, version.address, self.trusted)
        if not version.signature:
            version = replace(version, signature=model_signature(model))
        return version, model

    def reload(self) -> ModelVersion:
        """Resolve the address again and serve what it names now."""
        self.current = self._load()
        return self.current[0]


def _authorized(request: Request, token: str) -> str | None:
    """None when the request carries the token; else why not."""
    if any(key.lower() in ("token", "access_token", "api_key") for key in request.query_params):
        return "send the token in the Authorization header (Bearer), never in the URL"
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return "this server needs Authorization: Bearer <token>"
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        return "the token is not this server's"
    return None


def build_app(served: ServedModel, token: str, log: RequestLog,
              options: ServingOptions = ServingOptions(),
              hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> Starlette:
    """The application serving ``served`` behind ``token``."""

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def model_info(request: Request) -> Response:
        version, _ = served.current
        return JSONResponse({"model": version.address, "address": served.address,
                             "run_id": version.run_id, "format": version.format,
                             "signature": dict(version.signature),
                             "digest": version.digest})

    async def reload(request: Request) -> Response:
        before = served.current[0].address
        version = await run_in_threadpool(served.reload)
        return JSONResponse({"model": version.address, "before": before})

    async def invocations(request: Request) -> Response:
        started = time.perf_counter()
        request_id = uuid.uuid4().hex
        version = served.current[0]
        try:
            return await predict(request, request_id, started)
        except BadInput as exc:
            log.add(request_id, time.time(), version.name, version.version, exc.status,
                    time.perf_counter() - started, 0)
            raise

    async def predict(request: Request, request_id: str, started: float) -> Response:
        version, model = served.current
        body = await _bounded_body(request, options.max_bytes)
        frame = parse_body(body, request.headers.get("content-type", ""))
        if len(frame) > options.max_rows:
            raise BadInput(f"{len(frame)} rows is more than this server takes at once "
                           f"({options.max_rows}); split the request", 413)
        features = conform(frame, version.signature, options.strict)
        try:
            predicted = await asyncio.wait_for(run_in_threadpool(model.predict, features),
                                               options.timeout)
        except asyncio.TimeoutError:
            raise BadInput(f"the prediction took longer than {options.timeout:g} s",
                           504) from None
        predictions = predicted.tolist() if hasattr(predicted, "tolist") else list(predicted)
        log.add(request_id, time.time(), version.name, version.version, 200,
                time.perf_counter() - started, len(frame), frame, predictions)
        return JSONResponse({"predictions": predictions, "model": version.address,
                             "request_id": request_id})

    def guarded(endpoint: Callable[[Request], Awaitable[Response]],
                open_route: bool = False) -> Callable[[Request], Awaitable[Response]]:
        async def answer(request: Request) -> Response:
            if not open_route:
                refusal = _authorized(request, token)
                if refusal is not None:
                    return _error(401, refusal)
            try:
                return await endpoint(request)
            except BadInput as exc:
                return _error(exc.status, str(exc))
            except NbtrackError as exc:
                return _error(409, str(exc).splitlines()[0])
            except Exception as exc:  # the model's own failure: no traceback to the client
                return _error(500, f"the model failed on this input ({type(exc).__name__})")
        return answer

    routes = [Route("/health", guarded(health, open_route=True), methods=["GET"]),
              Route("/v1/model", guarded(model_info), methods=["GET"]),
              Route("/invocations", guarded(invocations), methods=["POST"]),
              Route("/-/reload", guarded(reload), methods=["POST"])]
    return Starlette(routes=routes,
                     middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts))])


async def _bounded_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BadInput(f"the body is larger than {limit} bytes", 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadInput(f"the body is larger than {limit} bytes", 413)
        chunks.append(chunk)
    return b"".join(chunks)
