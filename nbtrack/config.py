"""Where the store lives.

``NBTRACK_STORE`` (a folder or a store URI) wins; otherwise the nearest
``.nbtrack`` folder found walking up from the working directory; otherwise a
new ``.nbtrack`` folder in the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["STORE_DIRNAME", "ENV_VAR", "find_store_uri"]

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
