"""Where the store lives.

``NBTRACK_STORE`` (a folder or a store URI) wins; otherwise the nearest
``.nbtrack`` folder found walking up from the working directory; otherwise a
new ``.nbtrack`` folder in the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["STORE_DIRNAME", "ENV_VAR", "find_store_uri", "stores_below"]

STORE_DIRNAME = ".nbtrack"
ENV_VAR = "NBTRACK_STORE"


def find_store_uri(start: str | os.PathLike[str] | None = None) -> str:
    """Return the URI of the store to use from ``start`` (default: the working directory).

    Parameters
    ----------
    start : path, optional
        Folder to search from.
    """
    configured = os.environ.get(ENV_VAR, "").strip()
    if configured:
        return configured
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / STORE_DIRNAME
        if candidate.is_dir():
            return str(candidate)
    return str(here / STORE_DIRNAME)


def stores_below(folder: str | os.PathLike[str], depth: int = 3, limit: int = 5) -> list[Path]:
    """Store folders (``.nbtrack`` holding a database) at most ``depth`` levels below
    ``folder``, shallowest first; hidden folders, virtual environments and
    ``node_modules`` are not searched."""
    found: list[Path] = []
    level = [Path(folder)]
    for _ in range(depth + 1):
        below: list[Path] = []
        for parent in level:
            try:
                children = sorted(p for p in parent.iterdir() if p.is_dir())
            except OSError:
                continue
            for child in children:
                if child.name == STORE_DIRNAME and (child / "nbtrack.db").is_file():
                    found.append(child)
                    if len(found) == limit:
                        return found
                elif not child.name.startswith(".") and child.name != "node_modules" and \
                        not (child / "pyvenv.cfg").exists():
                    below.append(child)
        level = below
    return found
