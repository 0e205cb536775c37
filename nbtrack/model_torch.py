"""PyTorch models saved as a state dict in safetensors, loaded by importing their class.

A safetensors file holds tensors and a JSON header, nothing that runs: saving keeps
``module.state_dict()`` and the store records how to build the module again, in the
database rather than in the file:

- a *layout* (see :mod:`nbtrack.model_torch_layout`) when the model is made of
  PyTorch's own layers only (``nn.Sequential(nn.Linear(4, 16), ...)``);
- else the class path (``module.__class__.__module__ + "." + __qualname__``): loading
  imports that class, calls it with no arguments (or as ``init=`` says), loads the
  weights with ``strict=True`` and calls ``eval()``.

Loading never unpickles. torch is imported only by the functions that need it; a torch
module is recognised without importing torch.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from typing import Any, Callable, Mapping, Union

from .errors import (InvalidValueError, MissingDependencyError, ModelClassError,
                     ModelSerializationError, NotebookCodeError)

__all__ = ["FORMAT", "is_torch_module", "dump_torch", "load_torch", "training_state",
           "trained_since", "torch_signature", "TorchPredictor", "as_predictor", "Init"]

FORMAT = "safetensors"
NOTEBOOK_MODULE = "__main__"

#: What ``load_model(..., init=...)`` takes: keyword arguments for the class, or a
#: callable with no arguments (a class, a factory, a lambda) that returns the module.
Init = Union[Mapping[str, Any], Callable[[], Any], None]

#: Per tensor, this many evenly spaced elements tell a cell's in-place training apart from
#: reading the model (writes through ``.data`` do not move the version counter).
_SAMPLED = 64


def is_torch_module(value: Any) -> bool:
    """True for an instance of ``torch.nn.Module`` (False, without importing torch,
    when the user's code has not imported it)."""
    nn = sys.modules.get("torch.nn")
    return nn is not None and not isinstance(value, type) and isinstance(value, nn.Module)


def training_state(module: Any) -> tuple[Any, ...]:
    """What tells a module trained since: its tensors, their in-place version counters and
    a few of their values (compared with ``==`` on the first two, ``torch.equal`` on the
    last)."""
    torch = sys.modules["torch"]
    state = []
    with torch.no_grad():
        for tensor in [*module.parameters(), *module.buffers()]:
            flat = tensor.detach().reshape(-1)
            step = max(1, flat.numel() // _SAMPLED)
            state.append((id(tensor), tensor._version, flat[::step][:_SAMPLED].clone()))
    return tuple(state)


def trained_since(module: Any, before: tuple[Any, ...]) -> bool:
    """Whether ``module`` changed since :func:`training_state` returned ``before``."""
    torch = sys.modules["torch"]
    now = training_state(module)
    return len(now) != len(before) or any(
        a[:2] != b[:2] or not torch.equal(a[2], b[2]) for a, b in zip(now, before))


def _class_path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _required_args(cls: type) -> list[str]:
    """Constructor arguments without a default (a no-argument call cannot build it)."""
    try:
        parameters = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters if p.default is p.empty and p.kind in
            (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def torch_signature(module: Any) -> dict[str, Any]:
    """A tensor signature when the module's first layer with weights is a ``Linear``
    (its ``in_features`` is the width of a row), else nothing."""
    nn = sys.modules["torch.nn"]
    for inner in module.modules():
        if any(True for _ in inner.parameters(recurse=False)):
            if isinstance(inner, nn.Linear):
                return {"inputs": {"type": "tensor", "shape": [-1, int(inner.in_features)],
                                   "dtype": "float32"}}
            return {}
    return {}


def _tensors(module: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The state dict as safetensors takes it (on the CPU, contiguous, each storage once),
    and the keys that name a tensor already kept (tied weights) → the key kept."""
    torch = sys.modules["torch"]
    tensors: dict[str, Any] = {}
    shared: dict[str, str] = {}
    same: dict[tuple[Any, ...], str] = {}
    storages: set[int] = set()
    for key, value in module.state_dict().items():
        if not isinstance(value, torch.Tensor):
            raise ModelSerializationError(
                f"cannot save {type(module).__name__} safely: its state {key!r} is a "
                f"{type(value).__name__}, not a tensor; keep only tensors in the state dict "
                "(get_extra_state) or log a file you wrote yourself with log_artifact")
        tensor = value.detach().to("cpu")
        identity = (tensor.untyped_storage().data_ptr(), tensor.storage_offset(),
                    tuple(tensor.shape), tuple(tensor.stride()), tensor.dtype)
        if tensor.numel() and identity in same:
            shared[key] = same[identity]
            continue
        storage = identity[0]
        if tensor.numel() and storage in storages:
            tensor = tensor.clone()  # a view into another kept tensor gets its own bytes
        elif tensor.numel():
            storages.add(storage)
            same[identity] = key
        tensors[key] = tensor.contiguous()
    return tensors, shared


def dump_torch(module: Any, summary: Mapping[str, Any]) -> tuple[bytes, dict[str, Any]]:
    """A module's state dict as safetensors bytes, and what the store keeps to rebuild it.

    Raises
    ------
    MissingDependencyError
        Without the ``safetensors`` package.
    ModelSerializationError
        When the state holds something other than tensors.
    """
    try:
        from safetensors.torch import save
    except ImportError:
        raise MissingDependencyError("saving a PyTorch model", "torch") from None
    from .model_torch_layout import layout_of

    torch = sys.modules["torch"]
    cls = type(module)
    class_path = _class_path(cls)
    tensors, shared = _tensors(module)
    data = save(tensors, metadata={"format": "pt", "nbtrack.class": class_path})
    meta: dict[str, Any] = dict(summary)
    meta.update({"format": FORMAT, "framework": "torch", "torch_version": torch.__version__,
                 "class_path": class_path, "trusted_types": [], "tensors": len(tensors),
                 "parameters": int(sum(p.numel() for p in module.parameters()))})
    if shared:
        meta["shared"] = shared
    layout = layout_of(module)
    if layout is not None:
        meta["layout"] = layout
    else:
        required = _required_args(cls)
        if required:
            meta["init_required"] = required
        if cls.__module__ == NOTEBOOK_MODULE:
            meta["notebook_types"] = [class_path]
    signature = torch_signature(module)
    if signature:
        meta["signature"] = signature
    return bytes(data), meta


def _torch(name: str) -> Any:
    try:
        import safetensors.torch  # noqa: F401
        import torch
    except ImportError:
        raise MissingDependencyError(f"loading the PyTorch model {name!r}", "torch") from None
    return torch


def _import_class(name: str, class_path: str) -> Any:
    module_name, _, qualname = class_path.partition(".")
    notebook = module_name == NOTEBOOK_MODULE
    if notebook:
        target: Any = sys.modules.get(NOTEBOOK_MODULE)
        parts = qualname.split(".")
    else:
        # the longest importable module prefix, the rest is the class's qualname
        pieces = class_path.split(".")
        target, parts, failure = None, [], ""
        for cut in range(len(pieces) - 1, 0, -1):
            try:
                target = importlib.import_module(".".join(pieces[:cut]))
            except ImportError as exc:
                failure = failure or str(exc)
                continue
            except Exception as exc:  # noqa: BLE001 - the module's own code failed
                failure = f"{type(exc).__name__}: {exc}"
                break
            parts = pieces[cut:]
            break
        if target is None:
            raise ModelClassError(
                name, class_path, f"cannot be loaded: its class does not import here "
                f"({failure})", "install the package that defines it or put its module on "
                "sys.path, then load again")
    for part in parts:
        target = getattr(target, part, None)
    if target is None and notebook:
        raise NotebookCodeError(name, [class_path])
    if target is None:
        raise ModelClassError(name, class_path, "cannot be loaded: its module has no such "
                              "class", "define it there again (or pass init= to build it)")
    nn = sys.modules["torch.nn"]
    if not (isinstance(target, type) and issubclass(target, nn.Module)):
        raise ModelClassError(name, class_path, "is not a torch.nn.Module class here",
                              "pass init= with a callable that builds the module")
    return target


def _built(name: str, meta: Mapping[str, Any], init: Init) -> tuple[Any, str]:
    """The module to load the weights into, built as the record or ``init`` says, and how
    it was built (for messages)."""
    from .model_torch_layout import build_layout

    class_path = str(meta.get("class_path", ""))
    if init is None and meta.get("layout"):
        try:
            return build_layout(meta["layout"]), "its recorded layers"
        except Exception as exc:  # noqa: BLE001 - a PyTorch release that changed a layer
            raise ModelClassError(name, class_path, f"cannot be rebuilt from its layers "
                                  f"({type(exc).__name__}: {exc})",
                                  "pass init= with a callable that builds it") from None
    if init is not None and not isinstance(init, Mapping) and callable(init):
        built, how = init(), "init()"
    else:
        cls = _import_class(name, class_path)
        given = dict(init or {})
        missing = [a for a in _required_args(cls) if a not in given]
        if missing:
            raise ModelClassError(
                name, class_path, f"needs constructor arguments to be built "
                f"({', '.join(missing)})", f"pass them: load_model(..., init={{"
                f"{', '.join(repr(m) + ': ...' for m in missing)}}}) or init=lambda: "
                f"{cls.__name__}(...)")
        try:
            built = cls(**given)
        except Exception as exc:  # noqa: BLE001 - the user's constructor failed
            raise ModelClassError(name, class_path, f"could not be built "
                                  f"({type(exc).__name__}: {exc})",
                                  "pass init= with the arguments it was saved with") from None
        how = f"{cls.__name__}({', '.join(f'{k}={v!r}' for k, v in given.items())})"
    if not is_torch_module(built):
        raise InvalidValueError(f"init for model {name!r} returned a "
                                f"{type(built).__name__}, not a torch.nn.Module; return the "
                                "module to load the weights into")
    return built, how


def load_torch(name: str, meta: Mapping[str, Any], data: bytes, init: Init = None) -> Any:
    """The module a safetensors file of :func:`dump_torch` holds, in ``eval()`` mode.

    Parameters
    ----------
    name : str
        The artifact's name (for messages).
    meta : Mapping
        What the store recorded at save time (the layout or the class path).
    data : bytes
        The file, whose sha256 the store has already checked.
    init : Mapping or callable, optional
        Keyword arguments for the class, or a callable returning the module to load the
        weights into; by default the recorded layout, else the class called with no
        arguments.

    Raises
    ------
    ModelClassError
        When the class cannot be imported or built, or the weights do not fit it.
    NotebookCodeError
        When the class was defined in a notebook and is not defined here.
    """
    _torch(name)
    from safetensors.torch import load

    module, how = _built(name, meta, init)
    state = load(data)
    for alias, kept in dict(meta.get("shared") or {}).items():
        state[alias] = state[kept]
    try:
        # assign keeps the saved dtypes (a copy would cast to the fresh module's)
        module.load_state_dict(state, strict=True, assign=True)
    except RuntimeError as exc:
        detail = " ".join(str(exc).split()).partition(": ")[2] or str(exc)
        detail = detail if len(detail) <= 240 else detail[:239] + "…"
        raise ModelClassError(
            name, str(meta.get("class_path", "")), f"does not fit its saved weights when "
            f"built as {how} ({detail})",
            "pass init= with the arguments it was saved with") from None
    return module.eval()


class TorchPredictor:
    """A PyTorch module as a model server calls it: rows → float32 tensor → module →
    a numpy array (no gradients)."""

    def __init__(self, module: Any) -> None:
        self.module = module

    def predict(self, rows: Any) -> Any:
        """The module's output for ``rows`` (a DataFrame or 2-D array of numbers)."""
        import numpy as np
        import torch

        values = torch.from_numpy(np.ascontiguousarray(np.asarray(rows, dtype=np.float32)))
        weights = next(iter(self.module.parameters()), None)
        if weights is not None and weights.dtype != values.dtype:
            values = values.to(weights.dtype)  # a model kept in float64 takes float64
        with torch.no_grad():
            output = self.module(values)
        if not isinstance(output, torch.Tensor):
            raise TypeError(f"the module returned a {type(output).__name__}, not a tensor")
        return output.detach().cpu().numpy()


def as_predictor(model: Any, format: str) -> Any:
    """What serving and ``nbtrack predict`` call ``predict`` on: a PyTorch model (kept as
    :data:`FORMAT`) behind a :class:`TorchPredictor`, any other model as it is."""
    return TorchPredictor(model) if format == FORMAT else model
