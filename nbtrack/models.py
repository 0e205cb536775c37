"""Saving and loading models without arbitrary unpickling.

scikit-learn models (and anything else skops can represent) are written with
skops. The types a file needs that skops does not trust by default are
recorded *in the store* when nbtrack writes the file; on load only those are
trusted. The list is never read from the artifact, so a tampered file cannot
vouch for itself. Anything else needs ``trusted=True`` from the caller.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from .entities import Artifact
from .errors import ModelSerializationError, NotebookCodeError, UntrustedModelError

__all__ = ["dump_model", "load_model_artifact", "model_summary", "NOTEBOOK_MODULE",
           "SerializerWarmup"]

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
    try:
        import skops.io as sio
    except ImportError:  # pragma: no cover - skops is a dependency
        raise ModelSerializationError("saving models needs skops; pip install skops") from None
    try:
        data = sio.dumps(model)
        needed = sorted(sio.get_untrusted_types(data=data))
        # a file that cannot be read back is worse than an error now
        sio.loads(data, trusted=needed)
    except Exception as exc:
        raise ModelSerializationError(
            f"cannot save {type(model).__name__} safely ({type(exc).__name__}: {exc}); "
            "log a file you wrote yourself with log_artifact instead") from None
    meta = model_summary(model)
    meta.update({"format": FORMAT, "trusted_types": needed})
    notebook_types = [t for t in needed if t.partition(".")[0] == NOTEBOOK_MODULE]
    if notebook_types:
        meta["notebook_types"] = notebook_types
    return data, meta


def load_model_artifact(record: Artifact, data: bytes, trusted: bool) -> Any:
    """Load model bytes whose hash the store has already checked.

    Parameters
    ----------
    record : Artifact
        The artifact as recorded in the store (its ``meta`` is the trust source).
    data : bytes
        The file's content.
    trusted : bool
        Trust every type the file needs, whatever the store recorded.

    Raises
    ------
    UntrustedModelError
        When the file needs a type that was not recorded and ``trusted`` is False.
    """
    if record.kind != "model" or record.meta.get("format") != FORMAT:
        if not trusted:
            raise UntrustedModelError(record.name, [f"<{record.kind} file of unknown format>"])
    import skops.io as sio

    needed = sorted(sio.get_untrusted_types(data=data))
    recorded = set(record.meta.get("trusted_types") or ())
    unknown = [t for t in needed if t not in recorded]
    if unknown and not trusted:
        raise UntrustedModelError(record.name, unknown)
    _check_notebook_types(record)
    return sio.loads(data, trusted=needed)


def _check_notebook_types(record: Artifact) -> None:
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


class SerializerWarmup:
    """Import skops while the kernel waits between cells.

    skops takes most of a second to import (it indexes scikit-learn's estimators),
    which would otherwise land on the first tracked cell that saves a model. Once a
    cell has imported scikit-learn, the import starts on a daemon thread after the
    cell; the next cell waits for it to finish before any of its code runs, so the
    user's imports never race with it.
    """

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None

    def after_cell(self) -> None:
        """Start the import when scikit-learn is there and skops is not yet."""
        if self._thread is None and "sklearn" in sys.modules and "skops.io" not in sys.modules:
            self._thread = threading.Thread(target=self._import, name="nbtrack-skops",
                                            daemon=True)
            self._thread.start()

    def before_cell(self) -> None:
        """Let a running import finish before the next cell's code runs."""
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=120)

    @staticmethod
    def _import() -> None:
        try:
            import skops.io  # noqa: F401
        except Exception:
            pass  # saving a model reports any problem itself
