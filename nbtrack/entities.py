"""Value classes for what nbtrack records: runs, params, metrics, tags, artifacts.

Entities hold data only. They do no I/O, with one deliberate exception: a
:class:`Run` read from a store keeps a reference to that store (``reader``)
so that ``run.history(key)`` and ``run.load_model()`` work on the object the
user already has.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol

from .cell_record import CellRecord
from .errors import InvalidValueError, ModelChoiceError
from .model_files import load_model_artifact

__all__ = ["RunStatus", "Param", "Metric", "Tag", "Artifact", "Run", "RunReader"]


class RunStatus(str, enum.Enum):
    """Lifecycle state of a run."""

    RUNNING = "RUNNING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    INTERRUPTED = "INTERRUPTED"
    KILLED = "KILLED"

    @property
    def is_terminal(self) -> bool:
        """Whether the run has ended (any state but RUNNING)."""
        return self is not RunStatus.RUNNING

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Param:
    """A run's input knob.

    Parameters
    ----------
    key : str
        Name of the parameter.
    value : Any
        A JSON-like value: None, bool, int, float, str, or lists/dicts of them.
    """

    key: str
    value: Any

    def to_dict(self) -> dict[str, Any]:
        """Return a plain dict (JSON-ready apart from non-finite floats)."""
        return {"key": self.key, "value": self.value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Param:
        """Build a Param from :meth:`to_dict` output."""
        return cls(data["key"], data["value"])


@dataclass(frozen=True)
class Metric:
    """One measured value of a run at a step.

    Parameters
    ----------
    key : str
        Name of the metric.
    value : float
        The value (NaN and infinities are kept as they are).
    step : int
        Position in the metric's history (0 when not stepped).
    timestamp : float
        Seconds since the epoch when the value was logged.
    """

    key: str
    value: float
    step: int = 0
    timestamp: float = 0.0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Metric):
            return NotImplemented
        same_value = self.value == other.value or (
            math.isnan(self.value) and math.isnan(other.value)
        )
        return (
            same_value
            and self.key == other.key
            and self.step == other.step
            and self.timestamp == other.timestamp
        )

    def __hash__(self) -> int:
        return hash((self.key, self.step, self.timestamp))

    def to_dict(self) -> dict[str, Any]:
        """Return a plain dict."""
        return {"key": self.key, "value": self.value, "step": self.step,
                "timestamp": self.timestamp}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Metric:
        """Build a Metric from :meth:`to_dict` output."""
        return cls(data["key"], float(data["value"]), int(data.get("step", 0)),
                   float(data.get("timestamp", 0.0)))


@dataclass(frozen=True)
class Tag:
    """A free-form string label on a run."""

    key: str
    value: str

    def to_dict(self) -> dict[str, Any]:
        """Return a plain dict."""
        return {"key": self.key, "value": self.value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tag:
        """Build a Tag from :meth:`to_dict` output."""
        return cls(data["key"], data["value"])


@dataclass(frozen=True)
class Artifact:
    """A file recorded with a run, stored once by content hash.

    Parameters
    ----------
    name : str
        Relative name inside the run (``model``, ``plots/roc.png``).
    sha256 : str
        Hex digest of the content; also its address in the store.
    size : int
        Size in bytes.
    kind : str
        ``file`` or ``model``.
    meta : dict
        Kind-specific facts (for a model: format, class, trusted types, signature).
    """

    name: str
    sha256: str
    size: int
    kind: str = "file"
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.name, self.sha256))

    def to_dict(self) -> dict[str, Any]:
        """Return a plain dict."""
        return {"name": self.name, "sha256": self.sha256, "size": self.size,
                "kind": self.kind, "meta": dict(self.meta)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Artifact:
        """Build an Artifact from :meth:`to_dict` output."""
        return cls(data["name"], data["sha256"], int(data["size"]),
                   data.get("kind", "file"), dict(data.get("meta") or {}))


class RunReader(Protocol):
    """What a :class:`Run` needs from the store it was read from."""

    def metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every logged value of one metric, in step order."""
        ...

    def artifact_record(self, run_id: str, name: str) -> Artifact:
        """The stored record of one artifact of the run."""
        ...

    def get_context(self, run_id: str) -> dict[str, Any]:
        """The run's context entries (its :class:`CellRecord` as stored)."""
        ...

    def read_artifact(self, run_id: str, name: str) -> bytes:
        """An artifact's bytes, checked against the stored hash."""
        ...


@dataclass(frozen=True)
class Run:
    """A recorded run: its identity, state, params, latest metrics, tags and artifacts.

    Parameters
    ----------
    run_id : str
        Unique, time-sortable id (``r-`` + base32).
    experiment : str
        Name of the experiment the run belongs to.
    name : str or None
        Human-readable run name.
    status : RunStatus
        Lifecycle state.
    start_time, end_time : float
        Seconds since the epoch; ``end_time`` is None while running.
    params, metrics, tags : dict
        Inputs, latest metric values and labels.
    artifacts : tuple of Artifact
        Files recorded with the run.
    cell_id : str or None
        Identity of the notebook cell that produced the run.
    parent_run_id : str or None
        Run this one was derived from (e.g. a reproduction).
    host, pid : str, int
        Where the run's process lives (for liveness checks).
    heartbeat : float
        Last time the process was known alive.
    error : str or None
        Traceback of a failed run.
    """

    run_id: str
    experiment: str = "Default"
    name: str | None = None
    status: RunStatus = RunStatus.RUNNING
    start_time: float = 0.0
    end_time: float | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    artifacts: tuple[Artifact, ...] = ()
    cell_id: str | None = None
    parent_run_id: str | None = None
    host: str = ""
    pid: int = 0
    heartbeat: float = 0.0
    error: str | None = None
    reader: RunReader | None = field(default=None, compare=False, repr=False)

    def __hash__(self) -> int:
        return hash(self.run_id)

    @property
    def short_id(self) -> str:
        """The id abbreviated for display (``r-`` and eight characters)."""
        return self.run_id[:10]

    @property
    def duration(self) -> float | None:
        """Seconds from start to end, or None while the run is open."""
        return None if self.end_time is None else self.end_time - self.start_time

    def history(self, key: str) -> Any:
        """Every logged value of metric ``key`` as a DataFrame (step, value, timestamp).

        Parameters
        ----------
        key : str
            Metric name.

        Returns
        -------
        pandas.DataFrame
            One row per logged value, ordered by step.

        Raises
        ------
        InvalidValueError
            When the run has no metric ``key`` (the message lists the ones it has).
        """
        import pandas as pd

        if key not in self.metrics:
            known = ", ".join(sorted(self.metrics)) or "none"
            raise InvalidValueError(f"run {self.run_id} has no metric {key!r} "
                                    f"(its metrics: {known})")
        points = self._reader("read metric history").metric_history(self.run_id, key)
        return pd.DataFrame(
            {
                "step": [p.step for p in points],
                "value": [p.value for p in points],
                "timestamp": pd.to_datetime([p.timestamp for p in points], unit="s"),
            }
        )

    @property
    def record(self) -> CellRecord:
        """Where the run came from: its code, inputs, environment, hidden-state notes.

        Read from the store on each access.
        """
        return CellRecord.from_dict(self._reader("read its record").get_context(self.run_id))

    def load_model(self, name: str | None = None, *, trusted: bool = False,
                   init: Any = None) -> Any:
        """Load a model the run logged.

        Parameters
        ----------
        name : str, optional
            Artifact name given to ``log_model`` (a tracked cell uses the variable's
            name). Without it, the run's only model.
        trusted : bool
            Load even types nbtrack did not record as safe when saving.
            Only for files whose origin you trust.
        init : dict or callable, optional
            For a PyTorch model: its class's constructor arguments, or a callable that
            returns the module to load the weights into (see ``nbtrack.load_model``).

        Raises
        ------
        ModelChoiceError
            When no name is given and the run has no model or several.
        """
        if name is None:
            models = [a.name for a in self.artifacts if a.kind == "model"]
            if len(models) != 1:
                raise ModelChoiceError(self.run_id, models)
            name = models[0]
        reader = self._reader("load a model")
        record = reader.artifact_record(self.run_id, name)
        return load_model_artifact(record, reader.read_artifact(self.run_id, name), trusted,
                                   init)

    def _reader(self, what: str) -> RunReader:
        if self.reader is None:
            from .errors import StoreError

            raise StoreError(f"cannot {what}: this Run was not read from a store; "
                             "use nbtrack.get_run(run_id)")
        return self.reader

    def to_dict(self) -> dict[str, Any]:
        """Return a plain dict (the JSON shape used by the CLI and server)."""
        return {
            "run_id": self.run_id,
            "experiment": self.experiment,
            "name": self.name,
            "status": self.status.value,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "duration": self.duration,
            "params": dict(self.params),
            "metrics": dict(self.metrics),
            "tags": dict(self.tags),
            "artifacts": [a.to_dict() for a in self.artifacts],
            "cell_id": self.cell_id,
            "parent_run_id": self.parent_run_id,
            "host": self.host,
            "pid": self.pid,
            "heartbeat": self.heartbeat,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Run:
        """Build a Run from :meth:`to_dict` output."""
        return cls(
            run_id=data["run_id"],
            experiment=data.get("experiment", "Default"),
            name=data.get("name"),
            status=RunStatus(data.get("status", "RUNNING")),
            start_time=float(data.get("start_time", 0.0)),
            end_time=None if data.get("end_time") is None else float(data["end_time"]),
            params=dict(data.get("params") or {}),
            metrics=dict(data.get("metrics") or {}),
            tags=dict(data.get("tags") or {}),
            artifacts=tuple(Artifact.from_dict(a) for a in data.get("artifacts") or ()),
            cell_id=data.get("cell_id"),
            parent_run_id=data.get("parent_run_id"),
            host=data.get("host", ""),
            pid=int(data.get("pid", 0)),
            heartbeat=float(data.get("heartbeat", 0.0)),
            error=data.get("error"),
        )
