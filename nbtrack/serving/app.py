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
from ..model_onnx import checked_export
from ..model_torch import as_predictor
from ..registry import load_model, resolve
from ..store import Store
from ..versions import ModelVersion
from .inputs import BadInput, conform, model_signature, numeric_rows, parse_body, array_model
from .request_log import RequestLog

__all__ = ["ServingOptions", "ServedModel", "Serving", "build_app"]

#: Array requests (see ``Serving.array_model``) of at most this many rows are predicted on
#: the event loop: a thread hop would cost more than the prediction.
INLINE_ROWS = 100

_CODES = {400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 404: "NOT_FOUND",
          405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE",
          415: "UNSUPPORTED_MEDIA_TYPE", 500: "INTERNAL_ERROR", 504: "TIMEOUT"}


@dataclass(frozen=True)
class ServingOptions:
    """Limits and switches of a model server.

    ``onnx``: None serves a version's ONNX export through onnxruntime when it has a
    checked one (see :func:`~nbtrack.model_onnx.checked_export`), else its model file;
    True always serves the export (a version without one is an error); False always the
    model file.
    """

    max_bytes: int = 10 * 1024 * 1024
    max_rows: int = 100_000
    timeout: float = 30.0
    strict: bool = False
    log_inputs: bool = True
    trusted: bool = False
    onnx: bool | None = None


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error_code": _CODES.get(status, "ERROR"), "message": message},
                        status_code=status)


@dataclass(frozen=True)
class Serving:
    """What one served version is: its record, the model, and, when it has one, a view
    of the model that takes float arrays of ``array_columns`` (see
    :func:`~nbtrack.serving.inputs.array_model`)."""

    version: ModelVersion
    model: Any
    array_columns: list[str] | None = None
    array_model: Any = None
    served_format: str = ""


class ServedModel:
    """The model behind an address; :meth:`reload` swaps it in one assignment.

    With ``onnx=True`` the version's ONNX export is served through onnxruntime (see
    :mod:`nbtrack.model_onnx`), which neither loads the skops file nor imports
    scikit-learn; a version registered without ``onnx=True`` is an error. With
    ``onnx=None`` (the default) the export is served when it was checked equal to the
    model on the version's reference rows, and the model file otherwise; each reload
    decides again for the version it resolves.
    """

    def __init__(self, store: Store, address: str, trusted: bool = False,
                 onnx: bool | None = None) -> None:
        self.store, self.address, self.trusted, self.onnx = store, address, trusted, onnx
        self.current: Serving = self._load()

    def _load(self) -> Serving:
        version = resolve(self.store, self.address)
        if self.onnx or (self.onnx is None and checked_export(version)):
            return _onnx_serving(self.store, version)
        model = load_model(self.store, version.address, self.trusted)
        model = as_predictor(model, version.format)
        if not version.signature:
            version = replace(version, signature=model_signature(model))
        inputs = version.signature.get("inputs")
        wanted = [str(c["name"]) for c in inputs] if isinstance(inputs, list) else []
        view = array_model(model, wanted) if wanted else None
        return Serving(version, model, wanted if view is not None else None, view,
                       version.format)

    def reload(self) -> ModelVersion:
        """Resolve the address again and serve what it names now."""
        self.current = self._load()
        return self.current.version


def _onnx_serving(store: Store, version: ModelVersion) -> Serving:
    from ..model_onnx import FORMAT, onnx_export

    onnx_export(version)  # a version without an export: the one-line error saying how
    model = load_model(store, version.address, format=FORMAT)
    inputs = version.signature.get("inputs")
    wanted = [str(c["name"]) for c in inputs] if isinstance(inputs, list) else []
    # one float tensor of the signature's columns in order: numeric rows go straight in
    takes_array = len(model.feeds) == 1 and model.feeds[0][2] == "float" and \
        bool(wanted) and model.columns == wanted
    return Serving(version, model, wanted if takes_array else None,
                   model if takes_array else None, FORMAT)


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
        version = served.current.version
        return JSONResponse({"model": version.address, "address": served.address,
                             "run_id": version.run_id, "format": version.format,
                             "served_format": served.current.served_format,
                             "signature": dict(version.signature),
                             "digest": version.digest})

    async def reload(request: Request) -> Response:
        before = served.current.version.address
        version = await run_in_threadpool(served.reload)
        return JSONResponse({"model": version.address, "before": before})

    async def invocations(request: Request) -> Response:
        started = time.perf_counter()
        request_id = uuid.uuid4().hex
        version = served.current.version
        try:
            return await predict(request, request_id, started)
        except BadInput as exc:
            log.add(request_id, time.time(), version.name, version.version, exc.status,
                    time.perf_counter() - started, 0)
            raise
        except Exception:
            # the model's own failure counts in the error rate monitoring reports
            log.add(request_id, time.time(), version.name, version.version, 500,
                    time.perf_counter() - started, 0)
            raise

    async def predict(request: Request, request_id: str, started: float) -> Response:
        serving = served.current
        version, model = serving.version, serving.model
        body = await _bounded_body(request, options.max_bytes)
        content_type = request.headers.get("content-type", "")
        numeric = None if serving.array_columns is None else \
            numeric_rows(body, content_type, serving.array_columns, options.strict)
        if numeric is not None:
            (features, logged), model = numeric, serving.array_model
        else:
            frame = parse_body(body, content_type)
            features, logged = conform(frame, version.signature, options.strict), frame
        rows = len(features)
        if rows > options.max_rows:
            raise BadInput(f"{rows} rows is more than this server takes at once "
                           f"({options.max_rows}); split the request", 413)
        predicted = await _predicted(model, features, numeric is not None and
                                     rows <= INLINE_ROWS)
        predictions = predicted.tolist() if hasattr(predicted, "tolist") else list(predicted)
        log.add(request_id, time.time(), version.name, version.version, 200,
                time.perf_counter() - started, rows, logged, predictions)
        return JSONResponse({"predictions": predictions, "model": version.address,
                             "request_id": request_id})

    async def _predicted(model: Any, features: Any, inline: bool) -> Any:
        if inline:
            return model.predict(features)
        try:
            return await asyncio.wait_for(run_in_threadpool(model.predict, features),
                                          options.timeout)
        except asyncio.TimeoutError:
            raise BadInput(f"the prediction took longer than {options.timeout:g} s",
                           504) from None

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
