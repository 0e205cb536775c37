"""The Jupyter server extension: authenticated JSON endpoints under ``/nbtrack/api/``."""

from __future__ import annotations

from typing import Any

__all__ = ["_jupyter_server_extension_points", "_load_jupyter_server_extension"]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "nbtrack.server"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    """Register the routes (called by jupyter_server)."""
    from .routes import setup_routes

    setup_routes(server_app.web_app, server_app.root_dir)
    server_app.log.info("nbtrack server extension loaded: /nbtrack/api/")
