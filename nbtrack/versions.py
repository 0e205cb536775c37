"""Values of the model registry: versions, registry events, and model addresses.

A model is addressed as ``NAME`` (its latest version), ``NAME/3`` (version 3)
or ``NAME@production`` (the version an alias points to). Versions are numbered
1, 2, 3, ... per name and never change after registration (but for their
description and tags); aliases move, and every move is an event kept forever.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from .errors import InvalidValueError

__all__ = ["ModelVersion", "RegistryEvent", "ModelAddress", "parse_address",
           "check_model_name", "check_alias"]

_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_ALIAS = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_RESERVED_ALIAS = re.compile(r"^(latest|v\d+)$")


def check_model_name(name: Any) -> str:
    """Return ``name`` if it can name a registered model; raise otherwise."""
    if not isinstance(name, str) or not _MODEL_NAME.match(name):
        raise InvalidValueError(
            f"{name!r} cannot name a model: use 1 to 128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (e.g. iris-classifier)")
    return name


def check_alias(alias: Any) -> str:
    """Return ``alias`` if it can be an alias (``production``, ``staging``); raise otherwise."""
    if not isinstance(alias, str) or not _ALIAS.match(alias):
        raise InvalidValueError(
            f"{alias!r} cannot be an alias: use a lower-case letter, then up to 63 lower-case "
            "letters, digits, '_' or '-' (e.g. production)")
    if _RESERVED_ALIAS.match(alias):
        raise InvalidValueError(f"alias {alias!r} is reserved (latest and v<N> name versions "
                                "already); choose another, e.g. production or champion")
    return alias


@dataclass(frozen=True)
class ModelAddress:
    """A parsed model address: a name and at most one of ``version`` and ``alias``."""

    name: str
    version: int | None = None
    alias: str | None = None

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}/{self.version}"
        return f"{self.name}@{self.alias}" if self.alias else self.name


def parse_address(text: str) -> ModelAddress:
    """``NAME``, ``NAME/3`` or ``NAME@alias`` as a :class:`ModelAddress`.

    Raises
    ------
    InvalidValueError
        For anything else, with the three forms in the message.
    """
    if not isinstance(text, str):
        raise InvalidValueError(f"a model address is text such as 'iris@production', got "
                                f"{type(text).__name__}")
    name, at, alias = text.partition("@")
    name, slash, number = name.partition("/")
    if at and slash:
        raise InvalidValueError(f"{text!r}: give a version or an alias, not both "
                                "(NAME, NAME/3 or NAME@production)")
    check_model_name(name)
    if slash:
        if not number.isdigit() or int(number) < 1:
            raise InvalidValueError(f"{text!r}: a version is a whole number from 1 "
                                    "(NAME/3)")
        return ModelAddress(name, version=int(number))
    if at:
        return ModelAddress(name, alias=check_alias(alias))
    return ModelAddress(name)


@dataclass(frozen=True)
class ModelVersion:
    """One registered version of a model.

    Parameters
    ----------
    name, version : str, int
        The model and its number (1, 2, ... in order of registration).
    run_id, cell_id : str, str or None
        Lineage: the run that saved the model, and its notebook cell.
    artifact : str
        The model's artifact name inside the run.
    digest : str
        sha256 of the model file; re-checked on every load.
    format : str
        How the file is written (``skops``).
    created, created_by : float, str
        When and by whom (user@host) it was registered.
    metrics, inputs, signature : dict
        Snapshots taken at registration: the run's metrics, its input fingerprints and
        the model's signature.
    description : str or None
    tags : dict
    """

    name: str
    version: int
    run_id: str
    cell_id: str | None
    artifact: str
    digest: str
    format: str
    created: float
    created_by: str
    metrics: Mapping[str, float] = field(default_factory=dict)
    inputs: Mapping[str, Any] = field(default_factory=dict)
    signature: Mapping[str, Any] = field(default_factory=dict)
    description: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def address(self) -> str:
        """``NAME/VERSION``."""
        return f"{self.name}/{self.version}"

    def __repr__(self) -> str:
        return f"<ModelVersion {self.address} from {self.run_id}>"


@dataclass(frozen=True)
class RegistryEvent:
    """One change to the registry, as the append-only history keeps it.

    ``op`` is ``register``, ``set_alias`` or ``delete_alias``; ``old_value`` and
    ``new_value`` are the versions an alias pointed to before and after (None when
    it did not exist or was deleted).
    """

    ts: float
    user: str
    host: str
    pid: int
    op: str
    model: str
    version: int | None
    alias: str | None
    old_value: int | None
    new_value: int | None
    nbtrack_version: str
