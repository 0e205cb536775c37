"""Saving and loading models without arbitrary unpickling.

PyTorch modules are written as a state dict in safetensors (:mod:`nbtrack.model_torch`).
scikit-learn models (and anything else skops can represent) are written with
skops. The types a file needs that skops does not trust by default are
recorded *in the store* when nbtrack writes the file; on load only those are
trusted. The list is never read from the artifact, so a tampered file cannot
vouch for itself. Anything else needs ``trusted=True`` from the caller.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol

from .errors import (HandedOff, InvalidValueError, ModelSerializationError, NbtrackError,
                     NotebookCodeError, UntrustedModelError)
from .model_torch import FORMAT as TORCH_FORMAT
from .model_torch import Init, dump_torch, is_torch_module, load_torch
from .model_writer import ModelWriterFailed, WriterResult, model_writer
from .skops_import import import_skops

__all__ = ["dump_model", "dump_model_later", "load_model_artifact", "model_summary", "ModelRecord",
           "NOTEBOOK_MODULE", "LaterWrite", "model_meta"]


class ModelRecord(Protocol):
    """What loading needs of an artifact's stored record (an ``Artifact`` is one)."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def meta(self) -> Mapping[str, Any]: ...


#: The module of code typed into a notebook (or a script run as a program).
NOTEBOOK_MODULE = "__main__"

FORMAT = "skops"


def model_summary(model: Any) -> dict[str, Any]:
    """Class, module and (for estimators) a short description of a model."""
    cls = type(model)
    return {"class": cls.__name__, "module": cls.__module__,
            "qualname": f"{cls.__module__}.{cls.__qualname__}"}


def dump_model(model: Any) -> tuple[bytes, dict[str, Any]]:
    """Serialise a model; return its bytes and the metadata to keep in the store.

    Raises
    ------
    ModelSerializationError
        When skops cannot represent the object.
    """
    summary = model_summary(model)
    if is_torch_module(model):
        try:
            return dump_torch(model, summary)
        except NbtrackError:
            raise
        except Exception as exc:  # noqa: BLE001 - safetensors' or torch's own refusal
            raise ModelSerializationError(
                f"cannot save {summary['class']} safely ({type(exc).__name__}: {exc}); "
                "log a file you wrote yourself with log_artifact instead") from None
    return _with_meta(summary, lambda: _skops_dump(model))


@dataclass(frozen=True)
class WriterHandOff:
    """The model writer, as a process an exiting kernel hands a snapshot to (the
    store's :class:`~nbtrack.store.pending.HandOff`)."""

    pid: int
    take: Callable[[dict[str, Any], Callable[[], None]], bool]
    expedite: Callable[[], None]


@dataclass(frozen=True)
class LaterWrite:
    """A model snapshotted now whose skops file is made later (see :func:`dump_model_later`)."""

    #: returns what :func:`dump_model` would; raises HandedOff once :attr:`hand_off` succeeded
    write: Callable[[], tuple[bytes, dict[str, Any]]]
    #: someone now waits for the file
    hurry: Callable[[], None]
    #: for a process that exits first: the model writer takes the snapshot over and
    #: records it itself where the record says (store, run, name, meta)
    hand_off: WriterHandOff
    #: functions defined in the notebook that the model holds (it loads only beside them)
    notebook_functions: tuple[str, ...] = ()


def dump_model_later(model: Any) -> LaterWrite | None:
    """Take the model as it is now and leave the skops file to be written later.

    When the kernel's model writer can take ``model``, it is pickled now (a few
    milliseconds: the next cell may change it, the file must not) and the returned
    ``write`` turns that snapshot into what :func:`dump_model` returns, in the child.
    ``None`` when the model must be written now, in this process (a PyTorch module
    always is: safetensors writes it faster than a snapshot could be taken).
    """
    if is_torch_module(model):
        return None
    writer = model_writer() if "skops.io" not in sys.modules else None
    snapshot = writer.snapshot(model) if writer is not None else None
    if writer is None or snapshot is None:
        return None
    summary = model_summary(model)
    taken = threading.Event()

    def write() -> tuple[bytes, dict[str, Any]]:
        def dump() -> WriterResult:
            written = writer.convert(snapshot, taken)
            if written is None and taken.is_set():
                raise HandedOff("the model writer records this model itself")
            return written or _skops_dump_snapshot(snapshot.body)

        return _with_meta(summary, dump)

    def hand_off(record: dict[str, Any], lost: Callable[[], None]) -> bool:
        return writer.adopt(snapshot, {**record, "summary": summary}, taken, lost)

    return LaterWrite(write, writer.hurry, WriterHandOff(writer.pid, hand_off, writer.expedite),
                      snapshot.functions)


def _with_meta(summary: dict[str, Any], dump: Callable[[], WriterResult]
               ) -> tuple[bytes, dict[str, Any]]:
    try:
        data, needed = dump()
    except (ModelSerializationError, HandedOff):
        raise
    except Exception as exc:
        reason = str(exc) if isinstance(exc, ModelWriterFailed) else f"{type(exc).__name__}: {exc}"
        raise ModelSerializationError(
            f"cannot save {summary['class']} safely ({reason}); "
            "log a file you wrote yourself with log_artifact instead") from None
    return data, model_meta(summary, needed)


def model_meta(summary: Mapping[str, Any], needed: list[str]) -> dict[str, Any]:
    """What the store keeps of a model file: its :func:`model_summary`, the format and
    the untrusted types loading it needs (those from the notebook named apart)."""
    meta = dict(summary)
    meta.update({"format": FORMAT, "trusted_types": needed})
    notebook_types = [t for t in needed if t.partition(".")[0] == NOTEBOOK_MODULE]
    if notebook_types:
        meta["notebook_types"] = notebook_types
    return meta


def _skops_dump(model: Any) -> WriterResult:
    """skops bytes of ``model`` and the untrusted types they need, read back once."""
    writer = model_writer() if "skops.io" not in sys.modules else None
    # a child still starting would take longer than importing skops here
    if writer is not None and writer.ready:
        written = writer.dump(model)
        if written is not None:
            return written
    try:
        sio = import_skops()
    except ImportError:  # pragma: no cover - skops is a dependency
        raise ModelSerializationError("saving models needs skops; pip install skops") from None
    data = sio.dumps(model)
    needed = sorted(sio.get_untrusted_types(data=data))
    # a file that cannot be read back is worse than an error now
    sio.loads(data, trusted=needed)
    return data, needed


def _skops_dump_snapshot(body: bytes) -> WriterResult:
    """The kernel's own fallback when the child died holding a snapshot."""
    import pickle

    # bytes this process pickled from a live object moments ago, never a file
    return _skops_dump(pickle.loads(body))  # noqa: S301


def load_model_artifact(record: ModelRecord, data: bytes, trusted: bool,
                        init: Init = None) -> Any:
    """Load model bytes whose hash the store has already checked.

    Parameters
    ----------
    record : ModelRecord
        The artifact as recorded in the store (its ``meta`` is the trust source).
    data : bytes
        The file's content.
    trusted : bool
        Trust every type the file needs, whatever the store recorded.
    init : Mapping or callable, optional
        For a PyTorch model: the class's keyword arguments, or a callable that builds
        the module the weights are loaded into (see :func:`nbtrack.model_torch.load_torch`).

    Raises
    ------
    UntrustedModelError
        When the file needs a type that was not recorded and ``trusted`` is False.
    """
    if record.kind == "model" and record.meta.get("format") == TORCH_FORMAT:
        return load_torch(record.name, record.meta, data, init)
    if init is not None:
        raise InvalidValueError(f"init= is for PyTorch models; model {record.name!r} is a "
                                f"{record.meta.get('format', record.kind)} file: load it "
                                "without init")
    if record.kind != "model" or record.meta.get("format") != FORMAT:
        if not trusted:
            raise UntrustedModelError(record.name, [f"<{record.kind} file of unknown format>"])
    sio = import_skops()

    needed = sorted(sio.get_untrusted_types(data=data))
    recorded = set(record.meta.get("trusted_types") or ())
    unknown = [t for t in needed if t not in recorded]
    if unknown and not trusted:
        raise UntrustedModelError(record.name, unknown)
    _check_notebook_types(record)
    return sio.loads(data, trusted=needed)


def _check_notebook_types(record: ModelRecord) -> None:
    """Refuse early, and say why, when notebook-defined code is not defined here."""
    import sys

    main = sys.modules.get(NOTEBOOK_MODULE)
    missing = []
    for qualified in record.meta.get("notebook_types") or ():
        target: Any = main
        for part in qualified.split(".")[1:]:
            target = getattr(target, part, None)
        if target is None:
            missing.append(qualified)
    if missing:
        raise NotebookCodeError(record.name, missing)
