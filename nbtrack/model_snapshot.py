"""A model pickled in memory for the model-writer child, the moment its cell ends."""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["Snapshot", "take_snapshot", "NOTEBOOK_MODULE"]

#: the module of code typed into the notebook
NOTEBOOK_MODULE = "__main__"


class Snapshot(NamedTuple):
    """A model pickled for the child, and the notebook-defined functions it names."""

    body: bytes
    functions: tuple[str, ...] = ()


def take_snapshot(model: Any) -> Snapshot | None:
    """The model as it is now, pickled for the child; None when the child cannot take it.

    Functions defined in the notebook (a ``refit=`` strategy, a scorer) are pickled by
    name and named in the snapshot: the child stands in a placeholder for each, as
    skops records only their names. A class defined in the notebook cannot be stood
    in for (skops saves its instances' state by its methods): None.
    """
    import io
    import pickle
    import types

    try:
        body = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return None
    if NOTEBOOK_MODULE.encode() not in body:
        return Snapshot(body)
    # only now the slower pickler that sees every object, to find what the notebook defined
    functions: list[str] = []
    classes: list[str] = []

    class _Pickler(pickle.Pickler):
        def reducer_override(self, obj: Any) -> Any:
            if getattr(obj, "__module__", None) == NOTEBOOK_MODULE:
                if isinstance(obj, types.FunctionType) and "<" not in obj.__qualname__:
                    functions.append(obj.__qualname__)
                elif isinstance(obj, type):
                    classes.append(obj.__qualname__)
            return NotImplemented

    buffer = io.BytesIO()
    try:
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(model)
    except Exception:
        return None
    if classes:
        return None
    return Snapshot(buffer.getvalue(), tuple(sorted(set(functions))))
