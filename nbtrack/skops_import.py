"""Importing skops without the array libraries scikit-learn's estimator walk pulls in.

``import skops.io`` lists every scikit-learn estimator (``all_estimators``), which imports
every subpackage of scikit-learn, among them the array-API wrappers of
``sklearn.externals.array_api_compat``; each of those imports its library. With PyTorch
installed that alone is torch's import, most of two seconds (``import skops.io`` 0.85 s
→ 3.3 s here), paid by every kernel and model writer that saves or loads a model, torch
model or not. No estimator lives in those wrappers, so while skops is imported the ones
whose library is not imported yet are skipped; scikit-learn imports them again when an
array of that library reaches it.
"""

from __future__ import annotations

import sys
from typing import Any, Sequence

__all__ = ["import_skops"]

_COMPAT = "sklearn.externals.array_api_compat."
#: The libraries array_api_compat wraps besides numpy (its own modules are left alone)
_WRAPPED = ("torch", "cupy", "dask", "jax", "sparse", "ndonnx")


class _SkipArrayWrappers:
    """An import hook refusing the array-API wrappers of libraries not imported yet."""

    def find_spec(self, name: str, path: Sequence[str] | None = None,
                  target: Any = None) -> None:
        if name.startswith(_COMPAT):
            library = name[len(_COMPAT):].partition(".")[0]
            if library in _WRAPPED and library not in sys.modules:
                # the estimator walk ignores packages that fail to import
                raise ImportError(f"{name} is not needed to import skops")
        return None


def import_skops() -> Any:
    """``skops.io``, imported without the array libraries the user has not imported."""
    loaded = sys.modules.get("skops.io")
    if loaded is not None:
        return loaded
    hook = _SkipArrayWrappers()
    sys.meta_path.insert(0, hook)
    try:
        import skops.io as sio
    finally:
        sys.meta_path.remove(hook)
    return sio
