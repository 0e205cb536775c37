"""What a run recorded about where it came from: its cell, inputs and environment.

A ``%%track`` cell fills the fields it measured; a run started from a script
has its environment. ``None`` means "not recorded" (an empty ``hidden_state``
means "checked, and none found"). The store keeps the record as named entries (its
:meth:`CellRecord.to_dict`), so entries added later (``tracker.set_context``)
never need a schema change; names this class does not know stay in ``extra``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Mapping

__all__ = ["CellRecord"]


@dataclass(frozen=True)
class CellRecord:
    """The code, inputs and environment behind one run.

    Parameters
    ----------
    source : str or None
        The cell's code, without the ``%%track`` line.
    cell_id : str or None
        The cell's identity across edits (the frontend's id, the run name, or a hash).
    frontend_cell_id : str or None
        The id the Jupyter frontend sent, when it sent one.
    execution_count : int or None
        The kernel's execution count when the cell ran.
    notebook : str or None
        Path of the notebook, when the kernel knows it.
    history : tuple of dict
        The cells executed before this one in the session, oldest first, each as
        ``{"n": execution count, "source": code}``.
    hidden_state : tuple of str
        Notes on names the cell used that no recorded cell defines.
    previous_run_id : str or None
        The run this cell made the time before.
    inputs : dict
        Fingerprints of the data the cell read, taken before it ran.
    timing : tuple of str
        Metrics that are timing figures (reported, never judged, by ``reproduce``).
    output : str or None
        What the cell printed.
    system : dict
        Wall time, CPU time and memory of the cell.
    environment : dict
        Python, platform, package versions and git state.
    extra : dict
        Any other entries recorded with the run.
    """

    source: str | None = None
    cell_id: str | None = None
    frontend_cell_id: str | None = None
    execution_count: int | None = None
    notebook: str | None = None
    history: tuple[Mapping[str, Any], ...] | None = None
    hidden_state: tuple[str, ...] | None = None
    previous_run_id: str | None = None
    inputs: Mapping[str, Any] | None = None
    timing: tuple[str, ...] | None = None
    output: str | None = None
    system: Mapping[str, Any] | None = None
    environment: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The entries to store: every field that was recorded (not None), and ``extra``."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "extra":
                continue
            value = getattr(self, f.name)
            if value is None:
                continue
            out[f.name] = list(value) if isinstance(value, tuple) else \
                dict(value) if isinstance(value, Mapping) else value
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CellRecord:
        """Build a record from stored entries (unknown names go to ``extra``)."""
        known = {f.name for f in fields(cls)} - {"extra"}
        values: dict[str, Any] = {}
        for name in known & set(data):
            value = data[name]
            if value is not None and name in ("history", "hidden_state", "timing"):
                value = tuple(value)
            elif value is not None and name in ("inputs", "system", "environment"):
                value = dict(value)
            values[name] = value
        return cls(**values, extra={k: v for k, v in data.items() if k not in known})
