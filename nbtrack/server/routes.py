"""HTTP handlers: runs (filter, sort, paging), one run, a metric's history, export.

Every handler requires Jupyter's authentication and authorization. The store is
found from the notebook's folder exactly as a kernel started there finds it
(``NBTRACK_STORE``, else the nearest ``.nbtrack``). Errors are mapped to HTTP in one
place and never carry a traceback.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from ..errors import (AmbiguousRunIdError, FilterSyntaxError, InvalidValueError, NbtrackError,
                      RunNotFoundError)

__all__ = ["setup_routes"]

AUTH_RESOURCE = "nbtrack"
_MAX_PAGE = 1000


def _clean(value: Any) -> Any:
    """JSON has no NaN/Infinity: send them as strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


class NbtrackHandler(APIHandler):
    """Shared plumbing: store lookup, safe paths, one error-to-HTTP mapping."""

    auth_resource = AUTH_RESOURCE

    def initialize(self, root_dir: str) -> None:
        self.root_dir = Path(root_dir).resolve()

    def folder(self) -> Path:
        """The notebook's folder (``path`` argument, relative to the server root)."""
        relative = self.get_argument("path", "").strip("/")
        folder = (self.root_dir / relative).resolve()
        if not folder.is_relative_to(self.root_dir):
            raise tornado.web.HTTPError(403, reason="path is outside the server root")
        if folder.suffix == ".ipynb":
            folder = folder.parent
        return folder

    def store(self) -> Any:
        from ..config import find_store_uri
        from ..store import open_store

        store = open_store(find_store_uri(self.folder()))
        return store

    def reply(self, data: Any) -> None:
        self.finish(json.dumps(_clean(data), default=str))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = self._reason
        if isinstance(exc, tornado.web.HTTPError) and exc.reason:
            message = exc.reason
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"code": status_code, "message": message}))

    def _handle_request_exception(self, e: BaseException) -> None:  # noqa: N802
        if isinstance(e, RunNotFoundError):
            self.send_error(404, reason=str(e))
        elif isinstance(e, (FilterSyntaxError, InvalidValueError, AmbiguousRunIdError)):
            self.send_error(400, reason=str(e))
        elif isinstance(e, NbtrackError):
            self.send_error(409, reason=str(e))
        elif isinstance(e, tornado.web.HTTPError):
            super()._handle_request_exception(e)
        else:
            self.log.error("nbtrack request failed", exc_info=e)
            self.send_error(500, reason="internal error; see the Jupyter server log")


class RunsHandler(NbtrackHandler):
    """``GET /nbtrack/api/runs?path=&filter=&sort=&limit=&offset=``."""

    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        from ..filters import parse_filter, parse_order_by
        from ..views.table import differing_params, records

        text = self.get_argument("filter", "")
        where = parse_filter(text) if text.strip() else None
        order = parse_order_by(self.get_argument("sort", "") or None)
        try:
            limit = min(int(self.get_argument("limit", "100")), _MAX_PAGE)
            offset = max(int(self.get_argument("offset", "0")), 0)
        except ValueError:
            raise tornado.web.HTTPError(400, reason="limit and offset must be integers")
        experiment = self.get_argument("experiment", "") or None
        store = self.store()
        table = store.search(where, order, experiment, limit, offset)
        rows = records(table)
        for row, cell_id in zip(rows, table.base["cell_id"]):
            row["cell_id"] = cell_id
        self.reply({"runs": rows, "total": store.count(where, experiment),
                    "differing_params": differing_params(table), "store": store.uri})


class RunHandler(NbtrackHandler):
    """``GET /nbtrack/api/runs/<id>``: params, metrics, tags, artifacts, status, cell id."""

    @tornado.web.authenticated
    @authorized
    def get(self, run_id: str) -> None:
        store = self.store()
        run = store.get_run(run_id)
        data = run.to_dict()
        context = store.get_context(run.run_id)
        data["context"] = {k: context.get(k) for k in ("notebook", "hidden_state", "system",
                                                       "previous_run_id", "source")}
        self.reply(data)


class HistoryHandler(NbtrackHandler):
    """``GET /nbtrack/api/runs/<id>/metrics/<key>``: every point of one metric."""

    @tornado.web.authenticated
    @authorized
    def get(self, run_id: str, key: str) -> None:
        store = self.store()
        run = store.get_run(run_id)
        points = store.metric_history(run.run_id, key)
        self.reply({"run_id": run.run_id, "key": key,
                    "points": [{"step": p.step, "value": p.value, "timestamp": p.timestamp}
                               for p in points]})


class ExportHandler(NbtrackHandler):
    """``POST /nbtrack/api/runs/<id>/export`` with ``{"path": notebook, "name": file}``:
    writes the exported notebook beside the open one."""

    @tornado.web.authenticated
    @authorized
    def post(self, run_id: str) -> None:
        from ..repro.notebook import export_run

        body = self.get_json_body() or {}
        relative = str(body.get("path", "")).strip("/")
        folder = (self.root_dir / relative).resolve()
        if folder.suffix == ".ipynb":
            folder = folder.parent
        if not folder.is_relative_to(self.root_dir) or not folder.is_dir():
            raise tornado.web.HTTPError(403, reason="path is outside the server root")
        name = str(body.get("name") or f"{run_id}.ipynb")
        if "/" in name or "\\" in name or not name.endswith(".ipynb") or name.startswith("."):
            raise tornado.web.HTTPError(400, reason="name must be a plain file name ending "
                                        "in .ipynb")
        from ..config import find_store_uri
        from ..store import open_store

        target = folder / name
        if target.exists():
            raise tornado.web.HTTPError(409, reason=f"{name} already exists; choose another name")
        result = export_run(open_store(find_store_uri(folder)), run_id, target)
        self.set_status(201)
        self.reply({"path": str(target.relative_to(self.root_dir)),
                    "requirements": str(result.requirements.relative_to(self.root_dir)),
                    "warnings": result.warnings})


def setup_routes(web_app: Any, root_dir: str) -> None:
    """Add the nbtrack handlers under the server's base URL."""
    base = url_path_join(web_app.settings["base_url"], "nbtrack", "api")
    run = r"(r-[0-9a-z]{4,12})"
    handlers = [
        (url_path_join(base, "runs"), RunsHandler),
        (url_path_join(base, "runs", run), RunHandler),
        (url_path_join(base, "runs", run, "metrics", r"([^/]+)"), HistoryHandler),
        (url_path_join(base, "runs", run, "export"), ExportHandler),
    ]
    web_app.add_handlers(".*$", [(route, cls, {"root_dir": root_dir})
                                 for route, cls in handlers])
