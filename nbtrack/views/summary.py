"""What a tracked cell shows under itself: a one-line summary (HTML with a text
fallback) and, when the cell has run before in a live frontend, a button that
compares its runs."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..guard import guarded
from ..store import Store

__all__ = ["Summary", "format_value", "show_tracked_cell"]

_MAX_ITEMS = 4
_STYLE = {"FINISHED": ("●", "#2e7d32", "finished"), "FAILED": ("✖", "#c62828", "failed"),
          "INTERRUPTED": ("■", "#ef6c00", "interrupted"), "KILLED": ("✖", "#c62828", "killed"),
          "RUNNING": ("○", "#1565c0", "running")}


def format_value(value: Any) -> str:
    """Short human form of a param or metric value."""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.4g}"
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.2g} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs:02d} s"


@dataclass
class Summary:
    """What one line says about a finished run of a cell."""

    run_id: str
    status: str
    duration: float
    params: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    previous_id: str | None = None
    previous_metrics: Mapping[str, float] = field(default_factory=dict)
    models: list[str] = field(default_factory=list)
    error_type: str | None = None
    notes: list[str] = field(default_factory=list)

    def _parts(self) -> list[tuple[str, str | None]]:
        """(text, css color or None) pieces after the status."""
        parts: list[tuple[str, str | None]] = []
        for key, value in list(self.params.items())[:_MAX_ITEMS]:
            parts.append((f"{key}={format_value(value)}", None))
        if len(self.params) > _MAX_ITEMS:
            parts.append((f"+{len(self.params) - _MAX_ITEMS} params", None))
        for key, value in list(self.metrics.items())[:_MAX_ITEMS]:
            text = f"{key}={format_value(value)}"
            color = None
            before = self.previous_metrics.get(key)
            if self.previous_id and before is not None and not (
                    math.isnan(value) or math.isnan(before)):
                delta = value - before
                if delta == 0:
                    text += f" (= vs {self.previous_id[:10]})"
                else:
                    arrow = "▲" if delta > 0 else "▼"
                    text += f" ({arrow}{abs(delta):.3g} vs {self.previous_id[:10]})"
                    color = "#2e7d32" if delta > 0 else "#c62828"
            parts.append((text, color))
        if len(self.metrics) > _MAX_ITEMS:
            parts.append((f"+{len(self.metrics) - _MAX_ITEMS} metrics", None))
        for model in self.models:
            parts.append((f"model {model}", None))
        for note in self.notes:
            parts.append((note, "#ef6c00"))
        return parts

    def _head(self) -> tuple[str, str, str]:
        symbol, color, word = _STYLE.get(self.status, ("●", "#555", self.status.lower()))
        if self.status == "FAILED" and self.error_type:
            return symbol, color, f"{word} after {_duration(self.duration)}: {self.error_type}"
        if self.status == "INTERRUPTED":
            return symbol, color, f"{word} after {_duration(self.duration)}"
        return symbol, color, f"{word} {_duration(self.duration)}"

    def text(self) -> str:
        """The plain-text line."""
        symbol, _, head = self._head()
        pieces = [f"{symbol} {self.run_id[:10]}  {head}"] + [p for p, _ in self._parts()]
        return " · ".join(pieces)

    def html(self) -> str:
        """The HTML line (every value escaped)."""
        symbol, color, head = self._head()
        esc = html.escape
        parts = "".join(
            f' · <span style="color:{c}">{esc(p)}</span>' if c else f" · {esc(p)}"
            for p, c in self._parts())
        return (f'<div class="nbtrack-summary" style="font-family:var(--jp-code-font-family,'
                f'monospace);font-size:12px" data-run-id="{esc(self.run_id)}">'
                f'<span style="color:{color}">{symbol}</span> '
                f'<code>{esc(self.run_id[:10])}</code> {esc(head)}{parts}</div>')

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": self.text(), "text/html": self.html()}


def show_tracked_cell(summary: Summary, store: Store, compare_cell: str | None,
                      display: Callable[[Any], None] | None = None) -> None:
    """Display the summary line and, for ``compare_cell``, a button comparing its runs."""
    if display is None:
        from IPython.display import display as ipython_display

        display = ipython_display
    shown = display
    guarded("show the summary", lambda: shown(summary))
    if compare_cell is not None:
        guarded("offer a comparison", lambda: _offer_compare(store, compare_cell, shown))


def _offer_compare(store: Store, cell_id: str, display: Callable[[Any], None]) -> None:
    from ..filters import by_cell
    from .cell_compare import cell_compare_box

    display(cell_compare_box(store, cell_id, store.count(by_cell(cell_id))))
