"""Fingerprints of the data a cell reads: lineage without copying the data."""

from __future__ import annotations

import hashlib
import sys
from typing import Any

__all__ = ["fingerprint", "is_data"]

#: Above this many bytes a fingerprint hashes an evenly spread sample of rows.
FULL_HASH_LIMIT = 256 * 1024 * 1024


def is_data(value: Any) -> bool:
    """A pandas DataFrame/Series or a numpy array."""
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(value, (pandas.DataFrame, pandas.Series)):
        return True
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.ndarray)


def fingerprint(value: Any) -> dict[str, Any]:
    """Content hash, shape, columns and dtypes of a DataFrame, Series or array.

    Parameters
    ----------
    value : DataFrame, Series or ndarray

    Returns
    -------
    dict
        ``kind``, ``sha256``, ``shape`` and, for tables, ``columns`` and ``dtypes``;
        ``sampled`` is True when the data was too large to hash whole.
    """
    import numpy as np

    pandas = sys.modules.get("pandas")
    digest = hashlib.sha256()
    info: dict[str, Any] = {}
    if pandas is not None and isinstance(value, (pandas.DataFrame, pandas.Series)):
        frame = value
        sampled = int(np.sum(frame.memory_usage(deep=False))) > FULL_HASH_LIMIT
        if sampled:
            step = max(1, len(frame) // 100_000)
            frame = frame.iloc[::step]
        hashed = pandas.util.hash_pandas_object(frame, index=True).to_numpy()
        digest.update(hashed.tobytes())
        if isinstance(value, pandas.DataFrame):
            info.update(kind="DataFrame", columns=[str(c) for c in value.columns],
                        dtypes=[str(t) for t in value.dtypes])
            digest.update(repr(info["columns"]).encode())
        else:
            info.update(kind="Series", name=str(value.name), dtypes=[str(value.dtype)])
        info["shape"] = list(value.shape)
    else:
        array = np.asarray(value)
        sampled = array.nbytes > FULL_HASH_LIMIT
        part = array[:: max(1, len(array) // 100_000)] if sampled and array.ndim else array
        if part.dtype.hasobject:
            digest.update(repr(part.tolist()).encode())
        else:
            digest.update(np.ascontiguousarray(part).tobytes())
        digest.update(f"{array.dtype}{array.shape}".encode())
        info.update(kind="ndarray", shape=list(array.shape), dtypes=[str(array.dtype)])
    info["sha256"] = digest.hexdigest()
    info["sampled"] = bool(sampled)
    return info
