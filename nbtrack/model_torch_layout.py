"""The layout of a PyTorch model built only from ``torch.nn`` layers, kept so that it
can be rebuilt without the code that built it.

``nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))`` is the most common model
of a notebook, and its class path alone (``torch.nn.Sequential``) says nothing of its
layers. PyTorch's own layers keep their constructor arguments as attributes of the same
name (``Linear.in_features``, ``Dropout.p``), so a layout of class paths and those
arguments can rebuild them. A layout is kept only when the module it rebuilds prints
exactly as the original (``repr`` shows every layer with its settings) and has the same
state keys and shapes; otherwise the model is loaded by its class path.

Nothing here imports torch at module level; callers have it imported already.
"""

from __future__ import annotations

import inspect
import sys
from typing import Any, Mapping

__all__ = ["layout_of", "build_layout", "TORCH_LAYERS"]

#: The only classes a layout may name: PyTorch's own layers and containers.
TORCH_LAYERS = "torch.nn.modules."

_CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")
#: Constructor arguments that say where tensors go, not what the layer is.
_PLACEMENT = ("device", "dtype")
_MAX_LAYERS = 10_000


def _plain(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    return isinstance(value, (tuple, list)) and all(_plain(v) for v in value)


def _jsonable(value: Any) -> Any:
    return [_jsonable(v) for v in value] if isinstance(value, (tuple, list)) else value


def _layer_args(module: Any) -> dict[str, Any] | None:
    """The constructor arguments of one PyTorch layer, read from its attributes."""
    try:
        parameters = inspect.signature(type(module).__init__).parameters
    except (TypeError, ValueError):
        return None
    args: dict[str, Any] = {}
    for name, parameter in list(parameters.items())[1:]:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD) or \
                name in _PLACEMENT:
            continue
        value = getattr(module, name, inspect.Parameter.empty)
        if value is None and isinstance(parameter.default, bool):
            args[name] = False  # ``bias=False`` leaves ``self.bias = None``
        elif _plain(value):
            args[name] = _jsonable(value)
        elif parameter.default is inspect.Parameter.empty:
            return None  # a required argument the layer does not keep as it was given
    return args


def _describe(module: Any, depth: int, count: list[int]) -> dict[str, Any] | None:
    cls = type(module)
    count[0] += 1
    if not cls.__module__.startswith(TORCH_LAYERS) or depth > 64 or count[0] > _MAX_LAYERS:
        return None
    path = f"{cls.__module__}.{cls.__qualname__}"
    if cls.__name__ in _CONTAINERS:
        children = []
        for key, child in module.named_children():
            described = _describe(child, depth + 1, count)
            if described is None:
                return None
            children.append([key, described])
        return {"class": path, "children": children}
    if any(True for _ in module.children()):
        return None
    args = _layer_args(module)
    return None if args is None else {"class": path, "args": args}


def _layer_class(path: str) -> Any:
    module_name, _, name = path.rpartition(".")
    if not path.startswith(TORCH_LAYERS):
        raise ValueError(f"{path} is not a PyTorch layer")
    import importlib

    return getattr(importlib.import_module(module_name), name)


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def build_layout(layout: Mapping[str, Any]) -> Any:
    """The module a layout describes, with freshly initialised weights.

    Raises
    ------
    ValueError
        When the layout names a class outside ``torch.nn``.
    """
    cls = _layer_class(str(layout["class"]))
    if "children" in layout:
        children = [(str(key), build_layout(child)) for key, child in layout["children"]]
        if cls.__name__ == "ModuleDict":
            return cls(dict(children))
        if cls.__name__ == "ModuleList":
            return cls([child for _, child in children])
        from collections import OrderedDict

        return cls(OrderedDict(children))
    return cls(**{k: _tuples(v) for k, v in dict(layout["args"]).items()})


def layout_of(module: Any) -> dict[str, Any] | None:
    """A layout that rebuilds ``module``, or None when it is not made of PyTorch layers
    alone or the rebuilt module would differ (checked on the meta device: no memory)."""
    layout = _describe(module, 0, [0])
    if layout is None:
        return None
    torch = sys.modules["torch"]
    try:
        with torch.device("meta"):
            rebuilt = build_layout(layout)
    except Exception:  # noqa: BLE001 - a layer whose arguments were not all read back
        return None
    if repr(rebuilt) != repr(module):
        return None
    shapes = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    again = {k: tuple(v.shape) for k, v in rebuilt.state_dict().items()}
    return layout if shapes == again else None
