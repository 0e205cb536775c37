"""HTTP handlers: runs (filter, sort, paging), one run, a metric's history, the latest
run of each cell of a notebook, the registered models with each version's latest
monitoring check, export.

Every handler requires Jupyter's authentication and authorization. The store is
found from the notebook's folder exactly as a kernel started there finds it
(``NBTRACK_STORE``, else the nearest ``.nbtrack``); reading never creates one. Errors
are mapped to HTTP in one place and never carry a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from ..config import find_store_uri
from ..errors import (AmbiguousRunIdError, FilterSyntaxError, InvalidValueError, NbtrackError,
                      RunNotFoundError)
from ..filters import all_of, by_cell, by_ids, parse_filter, parse_order_by
from ..registry import registered_as
from ..repro.notebook import export_run
from ..store import RunTable, Store, open_store
from ..views.encode import to_json
from ..views.table import differing_params
from .monitor_checks import MONITOR_KIND, check_summary, latest_checks

__all__ = ["setup_routes"]

AUTH_RESOURCE = "nbtrack"
_MAX_PAGE = 1000
_MAX_CELLS = 2000
#: A run's tag naming the metric its badge and list row show first.
HEADLINE_TAG = "headline"


def headline(metrics: Mapping[str, Any], tags: Mapping[str, Any]) -> str | None:
    """The metric a run is summed up by: the one its ``headline`` tag names, else the
    first in the run's summary line (metric names in order)."""
    named = tags.get(HEADLINE_TAG)
    if named in metrics:
        return str(named)
    return min(metrics) if metrics else None


def _local_folder(uri: str) -> Path | None:
    """The folder of a store on this machine's disk (None for other kinds)."""
    if uri.startswith("sqlite://"):
        return Path(uri[len("sqlite://"):])
    scheme = uri.split(":", 1)[0]
    return None if ":" in uri and len(scheme) > 1 and "/" not in scheme else Path(uri)


def _rows(table: RunTable) -> list[dict[str, Any]]:
    """The runs of a search result as records, each with the metric it is summed up by."""
    rows = table.records()
    for row in rows:
        row["headline"] = headline(row["metrics"], row["tags"])
    return rows


class NbtrackHandler(APIHandler):
    """Shared plumbing: store lookup, safe paths, one error-to-HTTP mapping."""

    auth_resource = AUTH_RESOURCE

    def initialize(self, root_dir: str, stores: dict[str, Store]) -> None:
        self.root_dir = Path(root_dir).resolve()
        self._stores = stores

    def folder(self) -> Path:
        """The notebook's folder (``path`` argument, relative to the server root)."""
        relative = self.get_argument("path", "").strip("/")
        folder = (self.root_dir / relative).resolve()
        if not folder.is_relative_to(self.root_dir):
            raise tornado.web.HTTPError(403, reason="path is outside the server root")
        if folder.suffix == ".ipynb":
            folder = folder.parent
        return folder

    def store_uri(self, folder: Path | None = None) -> str:
        return find_store_uri(folder or self.folder())

    def existing_store(self, folder: Path | None = None) -> Store | None:
        """The store for ``folder`` (default: the ``path`` argument's folder), opened once
        per server; None when there is none yet (a read must not create one)."""
        uri = self.store_uri(folder)
        store = self._stores.get(uri)
        if store is None:
            local = _local_folder(uri)
            if local is not None and not local.is_dir():
                return None
            store = self._stores[uri] = open_store(uri)
        return store

    def store(self, folder: Path | None = None) -> Store:
        """The store for ``folder``, which must exist already."""
        store = self.existing_store(folder)
        if store is None:
            raise RunNotFoundError(f"no nbtrack store at {self.store_uri(folder)} yet; run a "
                                   "%%track cell in a notebook of this folder first")
        return store

    def reply(self, data: Any) -> None:
        self.finish(to_json(data))

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
    """``GET /nbtrack/api/runs?path=&filter=&sort=&limit=&offset=&ids=``: ``ids``
    (comma-separated full run ids) keeps only those runs, as the compare panel asks."""

    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        text = self.get_argument("filter", "")
        ids = [i for i in self.get_argument("ids", "").split(",") if i.strip()]
        if len(ids) > _MAX_PAGE:
            raise tornado.web.HTTPError(400, reason=f"at most {_MAX_PAGE} run ids per request")
        where = all_of(by_ids(ids) if ids else None,
                       parse_filter(text) if text.strip() else None)
        order = parse_order_by(self.get_argument("sort", "") or "start_time DESC")
        try:
            limit = min(int(self.get_argument("limit", "100")), _MAX_PAGE)
            offset = max(int(self.get_argument("offset", "0")), 0)
        except ValueError:
            raise tornado.web.HTTPError(400, reason="limit and offset must be integers") from None
        experiment = self.get_argument("experiment", "") or None
        store = self.existing_store()
        if store is None:
            self.reply({"runs": [], "total": 0, "differing_params": [],
                        "store": self.store_uri(), "exists": False})
            return
        table = store.search(where, order, experiment, limit, offset)
        self.reply({"runs": _rows(table), "total": store.count(where, experiment),
                    "differing_params": differing_params(table), "store": store.uri,
                    "exists": True})


class CellsHandler(NbtrackHandler):
    """``GET /nbtrack/api/cells?path=&ids=a,b``: the latest run and run count of each
    listed cell id (cells without runs are left out)."""

    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        ids = [i for i in self.get_argument("ids", "").split(",") if i.strip()]
        if len(ids) > _MAX_CELLS:
            raise tornado.web.HTTPError(400, reason=f"at most {_MAX_CELLS} cell ids per request")
        store = self.existing_store()
        cells: dict[str, Any] = {}
        if store is not None and ids:
            newest = parse_order_by("start_time DESC")
            for cell_id in dict.fromkeys(ids):
                where = by_cell(cell_id)
                table = store.search(where, newest, None, 1, 0)
                if len(table):
                    cells[cell_id] = {"latest": _rows(table)[0],
                                      "count": store.count(where)}
        self.reply({"cells": cells, "store": self.store_uri()})


class ModelsHandler(NbtrackHandler):
    """``GET /nbtrack/api/models?path=``: every registered model with its versions,
    aliases and registry history (the Models section of the sidebar); each version
    carries its latest monitoring check under ``monitor`` (None when never checked)."""

    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        store = self.existing_store()
        if store is None:
            self.reply({"models": [], "store": self.store_uri(), "exists": False})
            return
        registry = store.backend.registry
        aliases = registry.aliases()
        events: dict[str, list[Any]] = {}
        for event in registry.events():
            events.setdefault(event.model, []).append(
                {"ts": event.ts, "op": event.op, "version": event.version,
                 "alias": event.alias, "old": event.old_value, "new": event.new_value,
                 "user": event.user})
        versions: dict[str, list[Any]] = {}
        for v in registry.versions():
            held = sorted(a for a, n in aliases.get(v.name, {}).items() if n == v.version)
            versions.setdefault(v.name, []).append(
                {"version": v.version, "run_id": v.run_id, "created": v.created,
                 "created_by": v.created_by, "format": v.format, "digest": v.digest,
                 "metrics": dict(v.metrics), "aliases": held})
        for name, rows in versions.items():
            checks = latest_checks(store, name, [row["version"] for row in rows])
            for row in rows:
                row["monitor"] = checks.get(row["version"])
        self.reply({"models": [{"name": name, "aliases": aliases.get(name, {}),
                                "versions": versions.get(name, []),
                                "history": events.get(name, [])}
                               for name in sorted(set(versions) | set(events))],
                    "store": store.uri, "exists": True})


class RunHandler(NbtrackHandler):
    """``GET /nbtrack/api/runs/<id>``: params, metrics, tags, artifacts, status, cell id;
    for a monitoring check also ``monitor``, its latest window's drift figures."""

    @tornado.web.authenticated
    @authorized
    def get(self, run_id: str) -> None:
        store = self.store()
        run = store.get_run(run_id)
        data = run.to_dict()
        record = run.record
        data["context"] = {
            "notebook": record.notebook, "hidden_state": record.hidden_state,
            "system": record.system, "previous_run_id": record.previous_run_id,
            "source": record.source, "output": record.output, "timing": record.timing,
            "inputs": record.inputs}
        data["headline"] = headline(run.metrics, run.tags)
        data["registered_as"] = registered_as(store, run.run_id)
        if run.tags.get("nbtrack.kind") == MONITOR_KIND:
            data["monitor"] = check_summary(store, run.run_id, run.start_time, run.metrics,
                                            run.tags)
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
        target = folder / name
        if target.exists():
            raise tornado.web.HTTPError(409, reason=f"{name} already exists; choose another name")
        result = export_run(self.store(folder=folder), run_id, target)
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
        (url_path_join(base, "cells"), CellsHandler),
        (url_path_join(base, "models"), ModelsHandler),
        (url_path_join(base, "runs", run), RunHandler),
        (url_path_join(base, "runs", run, "metrics", r"([^/]+)"), HistoryHandler),
        (url_path_join(base, "runs", run, "export"), ExportHandler),
    ]
    stores: dict[str, Store] = {}
    web_app.settings["nbtrack_stores"] = stores
    web_app.add_handlers(".*$", [(route, cls, {"root_dir": root_dir, "stores": stores})
                                 for route, cls in handlers])
