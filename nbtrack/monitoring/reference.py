"""The reference sample a model is monitored against: at most 10,000 training rows.

A ``%%track`` cell that saves a model keeps, as artifacts of its run, a reservoir
sample of each table it read (DataFrames and 2-D arrays, taken before the cell ran,
so the cell cannot change them first). Registration picks the sample whose columns
cover the model's inputs and names it in the version's tags; ``monitor`` compares
served inputs with it. Samples are ``.npz`` files of plain arrays (text columns as
unicode arrays with a missing-value mask), read with ``allow_pickle=False``.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from typing import Any, Mapping

__all__ = ["SAMPLE_ROWS", "SEED", "REFERENCE_TAG", "ReferenceSample", "reservoir_indices",
           "sample_table", "sample_inputs", "encode_sample", "decode_sample", "load_sample",
           "reference_artifacts", "choose_reference", "load_reference"]

#: Rows a reference sample keeps at most.
SAMPLE_ROWS = 10_000
#: Bytes a sample may take in memory at most: a very wide table (images as rows) keeps
#: fewer rows rather than tens of megabytes per run.
SAMPLE_BYTES = 32 * 1024 * 1024
#: The sampling seed: the same table always gives the same sample.
SEED = 0
#: The version tag naming the run artifact that holds the version's reference sample.
REFERENCE_TAG = "nbtrack.reference"
#: The artifact kind of a reference sample, and the prefix of its name.
KIND = "reference"
_PREFIX = "reference/"
#: Rows whose random keys are drawn at once: bounds the memory of a large table's sample.
_CHUNK = 1_000_000


def reservoir_indices(n: int, k: int = SAMPLE_ROWS, seed: int = SEED) -> Any:
    """The positions (ascending) of a uniform sample of ``min(n, k)`` of ``n`` rows.

    Reservoir sampling by random keys: every row gets a key from a generator seeded with
    ``seed`` and the ``k`` smallest keys stay, read in chunks so memory does not grow
    with ``n``. The same ``n``, ``k`` and ``seed`` always give the same rows.
    """
    import numpy as np

    if n <= k:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    keys = np.empty(0)
    kept = np.empty(0, dtype=np.int64)
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        keys = np.concatenate([keys, rng.random(stop - start)])
        kept = np.concatenate([kept, np.arange(start, stop)])
        if len(keys) > k:
            best = np.argpartition(keys, k - 1)[:k]
            keys, kept = keys[best], kept[best]
    return np.sort(kept)


def _as_frame(value: Any) -> Any:
    """A DataFrame view of a table: a DataFrame as it is, a 2-D array with columns named
    ``0``, ``1``, ...; None for anything else."""
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(value, pandas.DataFrame):
        return value
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.ndarray) and value.ndim == 2:
        import pandas as pd

        return pd.DataFrame(value, columns=[str(i) for i in range(value.shape[1])])
    return None


def sample_table(value: Any, k: int = SAMPLE_ROWS, seed: int = SEED) -> Any:
    """A reservoir sample (a new DataFrame with string column names and a fresh index) of
    a DataFrame or 2-D array: ``k`` rows at most, fewer when they would take more than
    :data:`SAMPLE_BYTES`; None for other values, a table without rows or columns, or one
    with two columns of the same name."""
    frame = _as_frame(value)
    if frame is None or not len(frame) or not len(frame.columns):
        return None
    if len({str(c) for c in frame.columns}) < len(frame.columns):
        return None  # columns that share a name cannot be told apart in the serving log
    row_bytes = float(frame.memory_usage(index=False).sum()) / len(frame)
    k = max(1, min(k, int(SAMPLE_BYTES // max(row_bytes, 1.0))))
    sample = frame.iloc[reservoir_indices(len(frame), k, seed)].reset_index(drop=True)
    sample.columns = [str(c) for c in frame.columns]
    return sample


@dataclass(frozen=True)
class ReferenceSample:
    """One input's sample taken at capture: the variable's name, the sample and how many
    rows the table had."""

    name: str
    frame: Any
    rows: int


def sample_inputs(namespace: Mapping[str, Any], names: Any) -> list[ReferenceSample]:
    """Samples of the tables among ``names`` in ``namespace`` (private names skipped)."""
    out = []
    for name in sorted(names):
        value = namespace.get(name)
        if name.startswith("_"):
            continue
        frame = _as_frame(value)
        sample = sample_table(frame) if frame is not None else None
        if sample is not None:
            out.append(ReferenceSample(name, sample, len(frame)))
    return out


def encode_sample(frame: Any) -> tuple[bytes, dict[str, Any]]:
    """A sample as ``.npz`` bytes (no pickled objects) and the artifact metadata that
    describes it (columns, their dtypes, rows)."""
    import numpy as np
    import pandas as pd

    arrays: dict[str, Any] = {}
    dtypes = []
    for i, column in enumerate(frame.columns):
        series = frame[column]
        if pd.api.types.is_bool_dtype(series) and not series.isna().any():
            arrays[f"c{i}"] = series.to_numpy(dtype=bool)
            dtypes.append("bool")
        elif pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            arrays[f"c{i}"] = series.to_numpy(dtype="float64", na_value=np.nan)
            dtypes.append("float64" if pd.api.types.is_float_dtype(series) else "int-like")
        else:
            missing = series.isna().to_numpy()
            arrays[f"c{i}"] = np.array(["" if m else str(v) for v, m in
                                        zip(series.tolist(), missing, strict=True)], dtype=str)
            arrays[f"m{i}"] = missing
            dtypes.append("text")
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    meta = {"columns": [str(c) for c in frame.columns], "dtypes": dtypes,
            "rows": int(len(frame)), "format": "npz"}
    return buffer.getvalue(), meta


def decode_sample(data: bytes, meta: Mapping[str, Any]) -> Any:
    """The DataFrame :func:`encode_sample` wrote."""
    import numpy as np
    import pandas as pd

    columns = list(meta["columns"])
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        out = {}
        for i, (column, dtype) in enumerate(zip(columns, meta["dtypes"], strict=True)):
            values = arrays[f"c{i}"]
            if dtype == "text":
                series = pd.Series(values.astype(object))
                series[arrays[f"m{i}"]] = None
                out[column] = series
            elif dtype == "int-like" and not np.isnan(values).any():
                out[column] = values.astype(np.int64)
            else:
                out[column] = values
    return pd.DataFrame(out, columns=columns)


def artifact_name(input_name: str) -> str:
    """The artifact a sample of the cell's input ``input_name`` is stored as."""
    return f"{_PREFIX}{input_name}.npz"


def reference_artifacts(run: Any) -> list[Any]:
    """The reference samples a run kept (its artifacts of kind ``reference``)."""
    return [a for a in run.artifacts if a.kind == KIND]


def _wanted_columns(signature: Mapping[str, Any]) -> list[str] | int | None:
    inputs = signature.get("inputs")
    if isinstance(inputs, list) and inputs:
        return [str(c["name"]) for c in inputs]
    if isinstance(inputs, dict) and inputs.get("type") == "tensor":
        width = (inputs.get("shape") or [-1, None])[-1]
        return int(width) if isinstance(width, int) and width > 0 else None
    return None


def choose_reference(artifacts: list[Any], signature: Mapping[str, Any]) -> str | None:
    """The sample that fits a model's inputs: its columns hold every input column (or, for
    a tensor signature, it has the tensor's width), the one from the largest table first
    (training data is usually the largest the cell read); None when none fits."""
    wanted = _wanted_columns(signature)
    fitting = []
    for artifact in artifacts:
        columns = list(artifact.meta.get("columns") or ())
        if isinstance(wanted, list):
            fits = set(wanted) <= set(columns)
        elif isinstance(wanted, int):
            fits = len(columns) == wanted
        else:
            fits = len(artifacts) == 1
        if fits:
            fitting.append((-int(artifact.meta.get("source_rows", 0)), artifact.name))
    return min(fitting)[1] if fitting else None


def load_reference(store: Any, version: Any) -> Any:
    """The reference sample of a registered version as a DataFrame (only the model's input
    columns when its signature names them), or None when it has none."""
    name = (version.tags or {}).get(REFERENCE_TAG)
    if not name:
        return None
    return load_sample(store, version.run_id, name, version.signature or {})


def load_sample(store: Any, run_id: str, name: str, signature: Mapping[str, Any]) -> Any:
    """The sample kept as artifact ``name`` of a run, as a DataFrame of the model's input
    columns when ``signature`` names them (all its columns otherwise)."""
    record = store.artifact_record(run_id, name)
    frame = decode_sample(store.read_artifact(run_id, name), record.meta)
    wanted = _wanted_columns(signature)
    if isinstance(wanted, list) and set(wanted) <= set(frame.columns):
        frame = frame[wanted]
    return frame


def sample_meta(sample: ReferenceSample, meta: dict[str, Any]) -> dict[str, Any]:
    """The metadata stored with a sample's artifact."""
    return {**meta, "input": sample.name, "source_rows": sample.rows, "seed": SEED,
            "limit": SAMPLE_ROWS}

