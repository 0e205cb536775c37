"""One error hierarchy for nbtrack.

Every error says what went wrong *and* what to do about it, in one line, so the
CLI and the magics can show ``str(error)`` to the user as it is.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "HandedOff",
    "NbtrackError",
    "InvalidValueError",
    "FilterSyntaxError",
    "RunNotFoundError",
    "AmbiguousRunIdError",
    "NoActiveRunError",
    "StoreError",
    "StoreNotFoundError",
    "ModelNotFoundError",
    "RegistryConflictError",
    "StoreVersionError",
    "UnsafeArtifactNameError",
    "ArtifactCorruptError",
    "UntrustedModelError",
    "ModelSerializationError",
    "NotebookCodeError",
    "ModelChoiceError",
    "ModelClassError",
    "MissingDependencyError",
    "ExportError",
    "ReproductionError",
    "NbtrackWarning",
]


class NbtrackError(Exception):
    """Base class of every error nbtrack raises on purpose."""


class InvalidValueError(NbtrackError, ValueError):
    """A key or value given to the tracking API cannot be recorded."""


class FilterSyntaxError(NbtrackError, ValueError):
    """A run filter could not be parsed.

    Parameters
    ----------
    message : str
        What is wrong.
    text : str
        The whole filter.
    position : int
        Offset of the offending token in ``text``.
    subject : str
        ``filter``, ``order_by`` or ``monitor rule``: what the text was given as.
    """

    _EXAMPLES = {"filter": "metrics.acc > 0.9 and params.model = 'rf'",
                 "order_by": "metrics.acc DESC, start_time",
                 "monitor rule": "drift.share >= 0.5 or f1 < baseline.f1 - 0.05"}

    def __init__(self, message: str, text: str = "", position: int = 0,
                 subject: str = "filter") -> None:
        self.text = text
        self.position = position
        where = f" at position {position}: {text[position:position + 20]!r}" if text else ""
        super().__init__(f"bad {subject}{where}: {message} "
                         f"(example: {self._EXAMPLES[subject]})")

    # keep the error picklable across processes
    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (_rebuild_filter_error, (self.args[0], self.text, self.position))


def _rebuild_filter_error(full: str, text: str, position: int) -> FilterSyntaxError:
    err = FilterSyntaxError.__new__(FilterSyntaxError)
    Exception.__init__(err, full)
    err.text, err.position = text, position
    return err


class RunNotFoundError(NbtrackError, LookupError):
    """No run matches the id or prefix given."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        super().__init__(
            f"no run matches {run_id!r}; list runs with `nbtrack runs` or nbtrack.runs()"
        )

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (type(self), (self.run_id,))


class AmbiguousRunIdError(NbtrackError, LookupError):
    """A run id prefix matches more than one run."""

    def __init__(self, prefix: str, candidates: list[str]) -> None:
        self.prefix = prefix
        self.candidates = list(candidates)
        shown = ", ".join(self.candidates[:5]) + (", ..." if len(self.candidates) > 5 else "")
        super().__init__(
            f"run id prefix {prefix!r} is ambiguous ({shown}); type more characters"
        )

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (type(self), (self.prefix, self.candidates))


class NoActiveRunError(NbtrackError, RuntimeError):
    """A logging call was made with no run to log into."""

    def __init__(self, what: str = "log") -> None:
        self.what = what
        super().__init__(
            f"cannot {what}: no active run; wrap the code in `with nbtrack.start_run():` "
            "or put %%track on the cell"
        )

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (type(self), (self.what,))


class StoreError(NbtrackError, OSError):
    """The store cannot be opened, read or written."""


class ModelNotFoundError(NbtrackError, LookupError):
    """No registered model, version or alias matches the address given."""


class RegistryConflictError(NbtrackError):
    """A registry change was refused: the alias moved meanwhile, or a version holds one."""


class StoreNotFoundError(StoreError):
    """A command that only reads was pointed at a place that holds no store."""


class StoreVersionError(StoreError):
    """The store was written by a newer nbtrack than this one."""

    def __init__(self, found: int, supported: int) -> None:
        self.found, self.supported = found, supported
        super().__init__(
            f"this store has schema version {found} but this nbtrack supports up to "
            f"{supported}; upgrade nbtrack (pip install -U nbtrack) to use it"
        )

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (type(self), (self.found, self.supported))


class UnsafeArtifactNameError(InvalidValueError):
    """An artifact name would escape the run's artifact folder."""

    def __init__(self, name: str, reason: str) -> None:
        self.name, self.reason = name, reason
        super().__init__(
            f"artifact name {name!r} is refused ({reason}); use a relative name such as "
            "'plots/roc.png'"
        )

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (type(self), (self.name, self.reason))


class ArtifactCorruptError(StoreError):
    """An artifact's bytes no longer match the hash it was stored under."""

    def __init__(self, name: str, expected: str, actual: str) -> None:
        self.name, self.expected, self.actual = name, expected, actual
        super().__init__(
            f"artifact {name!r} is corrupt (sha256 {actual[:12]} != recorded {expected[:12]}); "
            "run `nbtrack fsck` and re-log it from its source"
        )

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (type(self), (self.name, self.expected, self.actual))


class UntrustedModelError(NbtrackError):
    """A model file holds types that are not trusted for loading."""

    def __init__(self, name: str, types: list[str]) -> None:
        self.name, self.types = name, list(types)
        shown = ", ".join(self.types[:6]) + (", ..." if len(self.types) > 6 else "")
        super().__init__(
            f"model {name!r} contains types that are not trusted ({shown}); if you trust "
            "where it came from, load it with trusted=True"
        )

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (type(self), (self.name, self.types))


class ModelSerializationError(NbtrackError):
    """A model could not be saved safely."""


class HandedOff(NbtrackError):
    """Internal: a deferred artifact's work gave up because another process took the job
    over as this one exited (see :mod:`nbtrack.store.pending`); nothing is recorded here."""


class NotebookCodeError(NbtrackError):
    """A model needs classes or functions that were defined in a notebook."""

    def __init__(self, name: str, types: list[str]) -> None:
        self.name, self.types = name, list(types)
        shown = ", ".join(t.rpartition(".")[2] for t in self.types)
        super().__init__(
            f"model {name!r} needs {shown}, defined in the notebook that saved it; run the "
            f"cell that defines {shown} first (or move it into a module and import it)")

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (type(self), (self.name, self.types))


class ModelChoiceError(NbtrackError, LookupError):
    """A run has no model, or several, and none was named."""

    def __init__(self, run_id: str, names: list[str], call: str = "load_model({!r})") -> None:
        self.run_id, self.names, self.call = run_id, list(names), call
        if not self.names:
            message = (f"run {run_id} has no model; see `nbtrack show {run_id}` for what it "
                       "recorded")
        else:
            message = (f"run {run_id} has {len(self.names)} models ({', '.join(self.names)}); "
                       f"name one: {call.format(self.names[0])}")
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (type(self), (self.run_id, self.names, self.call))


class ModelClassError(NbtrackError):
    """A saved PyTorch model cannot be rebuilt here: its class does not import, needs
    constructor arguments, or does not fit the saved weights."""

    def __init__(self, name: str, class_path: str, problem: str, fix: str) -> None:
        self.name, self.class_path, self.problem, self.fix = name, class_path, problem, fix
        super().__init__(f"model {name!r} ({class_path}) {problem}; {fix}")

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (type(self), (self.name, self.class_path, self.problem, self.fix))


class MissingDependencyError(NbtrackError, ImportError):
    """An optional package a feature needs is not installed."""

    def __init__(self, what: str, extra: str) -> None:
        self.what, self.extra = what, extra
        super().__init__(f"{what} needs packages that are not installed here; "
                         f"pip install nbtrack[{extra}]")

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (type(self), (self.what, self.extra))


class ExportError(NbtrackError):
    """A run cannot be exported as a notebook."""


class ReproductionError(NbtrackError):
    """The exported notebook could not be executed."""


class NbtrackWarning(UserWarning):
    """Something nbtrack could not record; the cell itself was not affected."""
