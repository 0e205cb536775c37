"""The model lifecycle API re-exported by :mod:`nbtrack`: the registry and serving."""

from __future__ import annotations

from typing import Any

from .api_common import tracker

__all__ = ["register_model", "set_alias", "delete_alias", "resolve", "load_model", "models",
           "model_versions", "registry_history", "serve"]


def register_model(run: str, name: str, artifact: str | None = None,
                   description: str | None = None, reference: Any = None,
                   onnx: bool = False) -> Any:
    """Register the model a run saved as the next version of ``name`` (``name/1``, ...).

    Parameters
    ----------
    run : str
        Run id or unique prefix.
    name : str
        The registered model; its first version creates it.
    artifact : str, optional
        The model artifact, when the run saved several.
    description : str, optional
    reference : DataFrame or 2-D array, optional
        The training inputs to monitor the version against; a reservoir sample of at
        most 10,000 rows is kept with the run. By default the sample a ``%%track`` cell
        kept of the table it read that holds the model's input columns.
    onnx : bool
        Also keep an ONNX export of a scikit-learn model with the version (skl2onnx;
        ``pip install nbtrack[onnx]``), loaded by ``load_model(..., format="onnx")``.

    Returns
    -------
    ModelVersion
        With its number, the run's metrics and inputs, and the file's sha256.
    """
    from .registry import register_model as register

    return register(tracker().store, run, name, artifact, description, reference=reference,
                    onnx=onnx)


def set_alias(name: str, alias: str, version: int, expected: int | None = None) -> Any:
    """Point ``name@alias`` at ``version``; with ``expected``, only if it points there now.

    Returns the version the alias pointed at before (None if new). A conflicting
    ``expected`` raises :class:`~nbtrack.errors.RegistryConflictError` and moves nothing.
    """
    from .registry import set_alias as move

    return move(tracker().store, name, alias, version, expected)


def delete_alias(name: str, alias: str) -> int:
    """Remove ``name@alias``; return the version it pointed at."""
    from .registry import delete_alias as remove

    return remove(tracker().store, name, alias)


def resolve(address: str, at: Any = None) -> Any:
    """The :class:`~nbtrack.versions.ModelVersion` that ``NAME``, ``NAME/3`` or
    ``NAME@alias`` names now, or at the moment ``at`` (datetime or epoch seconds)."""
    from .registry import resolve as find

    return find(tracker().store, address, at)


def load_model(address: str, trusted: bool = False, format: str | None = None,
               init: Any = None) -> Any:
    """Load a registered model by address (``NAME``, ``NAME/3``, ``NAME@production``);
    the file's sha256 is checked against the one recorded at registration.

    Parameters
    ----------
    address : str
    trusted : bool
        Load a skops file even with types the store did not record as safe.
    format : str, optional
        ``"onnx"``: the version's ONNX export (registered with ``onnx=True``), run by
        onnxruntime, with ``predict`` (and ``predict_proba``).
    init : dict or callable, optional
        For a PyTorch model whose class needs constructor arguments: those arguments
        (``init={"hidden": 32}``), or a callable returning the module to load the
        weights into (``init=lambda: Net(32)``). By default the module is rebuilt from
        its recorded layers (``torch.nn`` layers only) or its class called with none.
    """
    from .registry import load_model as load

    return load(tracker().store, address, trusted, format=format, init=init)


def models() -> Any:
    """Registered models as a DataFrame: latest version, aliases, created, updated."""
    from .registry import models_frame

    return models_frame(tracker().store)


def model_versions(name: str) -> Any:
    """The versions of one model as a DataFrame (lineage, digest, aliases, metrics)."""
    from .registry import versions_frame

    return versions_frame(tracker().store, name)


def registry_history(name: str | None = None) -> Any:
    """Every registry change (to one model) as a DataFrame, oldest first."""
    from .registry import history_frame

    return history_frame(tracker().store, name)


def serve(address: str, host: str = "127.0.0.1", port: int = 0, token: str | None = None,
          **options: Any) -> Any:
    """Serve ``NAME``, ``NAME/3`` or ``NAME@alias`` over HTTP from a background thread on
    127.0.0.1 (port 0: a free one) behind a Bearer ``token`` (default
    ``NBTRACK_SERVE_TOKEN``, else random); ``options``: ``max_bytes``, ``max_rows``,
    ``timeout``, ``strict``, ``log_inputs``, ``trusted``, and ``onnx``: by default
    (None) the version's ONNX export is served through onnxruntime when registration
    checked it equal to the model on the reference rows, else the skops model file;
    ``onnx=True`` always serves the export, ``onnx=False`` always the model file. Returns the
    :class:`~nbtrack.serving.server.ModelServer` (``.url``, ``.token``, ``.stop()``).
    """
    from .serving.app import ServingOptions
    from .serving.server import ModelServer

    return ModelServer(tracker().store, address, host, port, token,
                       ServingOptions(**options)).start()
