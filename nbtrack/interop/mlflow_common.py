"""What export to and import from MLflow share: the client, the tags, names and units.

MLflow keeps times as integer milliseconds, params as strings and restricts the
characters of keys; nbtrack keeps float seconds, typed params and any printable key.
Every conversion between the two lives here, with the names of the tags nbtrack
writes on an exported run and of the record file (:data:`RECORD_PATH`) that holds what
MLflow has no place for, so that a run comes back from MLflow as it left.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Iterator, Mapping

from ..entities import Run, RunStatus
from ..errors import StoreError

__all__ = ["RUN_ID_TAG", "MLFLOW_RUN_ID_TAG", "DIGEST_TAG", "RECORD_PATH", "RECORD_FORMAT",
           "InteropSummary", "mlflow_client", "to_ms", "from_ms", "mlflow_key", "KeyMap",
           "to_mlflow_status", "param_text", "metric_from_mlflow", "fit_value", "dumps",
           "run_digest", "quiet_mlflow"]

#: On an MLflow run: the id of the nbtrack run it was exported from.
RUN_ID_TAG = "nbtrack.run_id"
#: On an nbtrack run: the id of the MLflow run it was imported from.
MLFLOW_RUN_ID_TAG = "mlflow.run_id"
#: On an MLflow run: a digest of the nbtrack run as it was exported (set last, so a run
#: whose export was interrupted has none and is completed by the next export).
DIGEST_TAG = "nbtrack.export_digest"
#: The artifact of an exported run holding what MLflow cannot (see :mod:`.mlflow_export`).
RECORD_PATH = "_nbtrack/run.json"
RECORD_FORMAT = 1

#: MLflow's limits (mlflow.utils.validation) on keys and values and per log_batch call.
MAX_KEY = 250
MAX_PARAM_VALUE = 6000
MAX_TAG_VALUE = 8000
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_ENTITIES_PER_BATCH = 1000

_INSTALL = "pip install 'nbtrack[mlflow]'"
_KEY_CHARS = re.compile(r"[^\w\-. :/]")
_BIG = sys.float_info.max


@dataclass
class InteropSummary:
    """What an export to or an import from MLflow did.

    Attributes
    ----------
    source, destination : str
        Where the runs came from and went to (store URI, MLflow tracking URI).
    experiments_created : int
        Experiments the destination did not have before.
    runs_copied : int
        Runs written for the first time.
    runs_updated : int
        Runs copied earlier that had changed since and were brought up to date.
    runs_present : int
        Runs copied earlier and unchanged: nothing was written for them.
    runs_running : int
        Runs still running, left for a later pass.
    params, metric_points, tags, artifacts : int
        Values written (metric points counted one by one, every step of a history).
    artifact_bytes : int
        Bytes of the artifact files written.
    notes : list of str
        Values the destination could not hold exactly (renamed keys, shortened values,
        a param MLflow refuses to change), one line each.
    """

    source: str
    destination: str
    experiments_created: int = 0
    runs_copied: int = 0
    runs_updated: int = 0
    runs_present: int = 0
    runs_running: int = 0
    params: int = 0
    metric_points: int = 0
    tags: int = 0
    artifacts: int = 0
    artifact_bytes: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (what ``--json`` prints)."""
        return asdict(self)

    def __str__(self) -> str:
        running = f", {self.runs_running} still running, left for later" \
            if self.runs_running else ""
        lines = [f"copied {self.runs_copied} runs, updated {self.runs_updated} "
                 f"({self.runs_present} already there and unchanged{running}): "
                 f"{self.params} params, {self.metric_points} metric points, {self.tags} tags, "
                 f"{self.artifacts} artifact files ({self.artifact_bytes:,} bytes); "
                 f"{self.experiments_created} new experiments",
                 f"{self.source} -> {self.destination}"]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def mlflow_client(tracking_uri: str, must_exist: bool = False) -> Any:
    """An ``MlflowClient`` on ``tracking_uri``, checked by listing its experiments.

    Parameters
    ----------
    tracking_uri : str
        Any tracking URI MLflow accepts (``sqlite:///mlflow.db``, ``http://host:5000``).
    must_exist : bool
        Refuse a ``sqlite:`` URI whose database file does not exist (instead of letting
        MLflow create an empty one), for callers that only read.

    Raises
    ------
    StoreError
        When MLflow is not installed, or the URI cannot be opened.
    """
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise StoreError(f"MLflow interop needs the mlflow package; install it with "
                         f"{_INSTALL}") from None
    if must_exist and tracking_uri.startswith("sqlite:"):
        from pathlib import Path

        path = tracking_uri[len("sqlite:"):]
        path = path[3:] if path.startswith("///") else path.lstrip("/")
        if path and path != ":memory:" and not Path(path).is_file():
            raise StoreError(f"no MLflow database at {path} (from {tracking_uri!r}); "
                             "check the tracking URI")
    try:
        client = MlflowClient(tracking_uri=tracking_uri)
        client.search_experiments(max_results=1)
    except Exception as exc:  # MLflow raises many types for a bad URI; all mean the same
        raise StoreError(f"cannot open the MLflow tracking store {tracking_uri!r}: "
                         f"{_first_sentence(exc)}; give a tracking URI such as "
                         "sqlite:///mlflow.db or http://host:5000") from None
    return client


def _first_sentence(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text.partition(". ")[0].rstrip(".")


def to_ms(seconds: float) -> int:
    """Seconds since the epoch as MLflow's integer milliseconds."""
    return int(round(seconds * 1000))


def from_ms(ms: int | None) -> float | None:
    """MLflow's milliseconds as seconds (None stays None)."""
    return None if ms is None else ms / 1000.0


def to_mlflow_status(status: RunStatus) -> str:
    """The MLflow status of a run (MLflow has no INTERRUPTED: it becomes KILLED)."""
    return "KILLED" if status is RunStatus.INTERRUPTED else status.value


def param_text(value: Any) -> str:
    """A param value as MLflow's own ``log_param`` writes it (``str(value)``), except
    lists and dicts, which are written as JSON."""
    if isinstance(value, (list, dict)):
        return json.dumps(value, allow_nan=True)
    return str(value)


def fit_value(text: str, limit: int) -> str:
    """``text`` cut to MLflow's ``limit`` characters."""
    return text if len(text) <= limit else text[:limit]


def metric_from_mlflow(value: float) -> float:
    """A metric value as logged: MLflow stores infinities as the largest finite float."""
    if value == _BIG:
        return float("inf")
    if value == -_BIG:
        return float("-inf")
    return float(value)


def mlflow_key(key: str) -> str:
    """``key`` as MLflow accepts it: only letters, digits, ``_-. :/``, no leading ``/``,
    no ``..`` component, at most 250 characters (anything else becomes ``_``)."""
    safe = _KEY_CHARS.sub("_", key)
    safe = "/".join("_" if part == ".." else part for part in safe.split("/"))
    safe = safe.lstrip("/") or "_"
    return safe[:MAX_KEY]


class KeyMap:
    """Unique MLflow keys for one kind of key (params, metrics or tags) of one run.

    Parameters
    ----------
    taken : iterable of str
        MLflow keys already used for something else (nbtrack's own tags).
    """

    def __init__(self, taken: Any = ()) -> None:
        self.to_mlflow: dict[str, str] = {}
        self._used: set[str] = set(taken)

    def __call__(self, key: str) -> str:
        """The MLflow key of nbtrack key ``key`` (made unique when renaming collides)."""
        known = self.to_mlflow.get(key)
        if known is not None:
            return known
        safe = mlflow_key(key)
        if safe != key or safe in self._used:
            stem, n = safe[:MAX_KEY - 6], 2
            while safe in self._used:
                safe, n = f"{stem}_{n}", n + 1
        self._used.add(safe)
        self.to_mlflow[key] = safe
        return safe

    def renamed(self) -> dict[str, str]:
        """MLflow key → nbtrack key, for the keys that had to be renamed."""
        return {m: k for k, m in self.to_mlflow.items() if m != k}


def dumps(data: Mapping[str, Any]) -> bytes:
    """JSON bytes of ``data`` (non-finite floats kept, other objects as text)."""
    return json.dumps(data, sort_keys=True, allow_nan=True, default=str).encode()


def run_digest(run: Run, context: Mapping[str, Any]) -> str:
    """A digest of everything nbtrack holds about a run but its metric histories' inner
    points (a history that grows changes the run's latest value)."""
    return hashlib.sha256(dumps({"run": run.to_dict(), "context": context})).hexdigest()


@contextmanager
def quiet_mlflow() -> Iterator[None]:
    """No progress bars from MLflow's artifact transfers while inside."""
    name = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"
    before = os.environ.get(name)
    os.environ[name] = "false"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before
