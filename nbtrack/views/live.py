"""A chart under a running ``%%track`` cell that follows the metrics it logs by step.

It redraws at most twice a second, in place (one display output, updated), so the
saved notebook keeps a single final image whatever the number of updates.
"""

from __future__ import annotations

import time
from typing import Any, Callable

__all__ = ["LiveChart", "MIN_INTERVAL"]

#: Seconds between redraws (at most 2 updates per second).
MIN_INTERVAL = 0.5
_MAX_KEYS = 6


class LiveChart:
    """Listens to ``log_metric`` calls of one run and keeps a chart of them up to date.

    Parameters
    ----------
    run_id : str
        Only this run's points are drawn.
    publish : callable, optional
        ``publish(bundle, first)`` shows or updates the output (default: IPython's
        ``display`` / ``update_display`` with one display id).
    """

    def __init__(self, run_id: str, publish: Callable[[dict[str, Any], bool], None] | None = None
                 ) -> None:
        self.run_id = run_id
        self.series: dict[str, tuple[list[int], list[float]]] = {}
        self.updates = 0
        self._publish = publish or self._ipython_publish
        self._display_id: str | None = None
        self._last = 0.0
        self._dirty = False
        self.failed = False

    def __call__(self, run_id: str, key: str, value: float, step: int) -> None:
        """Record one point (the hot path: cheap unless a redraw is due)."""
        if run_id != self.run_id or self.failed:
            return
        steps, values = self.series.setdefault(key, ([], []))
        steps.append(step)
        values.append(value)
        self._dirty = True
        now = time.monotonic()
        if now - self._last >= MIN_INTERVAL and any(len(s[0]) > 1 for s in self.series.values()):
            self._last = now
            self._draw()

    def close(self) -> None:
        """Draw the final state (once) if anything was shown or is worth showing."""
        if self._dirty and not self.failed and (
                self.updates or any(len(s[0]) > 1 for s in self.series.values())):
            self._draw()

    def _draw(self) -> None:
        try:
            from .charts import series_png

            png = series_png({k: v for k, v in list(self.series.items())[:_MAX_KEYS]})
            import base64

            bundle = {"image/png": base64.b64encode(png).decode(),
                      "text/plain": f"<live chart of {', '.join(self.series)}>"}
            self._publish(bundle, self.updates == 0)
            self.updates += 1
            self._dirty = False
        except Exception:  # a chart must never break the training loop
            self.failed = True

    def _ipython_publish(self, bundle: dict[str, Any], first: bool) -> None:
        from IPython.display import display, update_display

        if first:
            self._display_id = f"nbtrack-live-{self.run_id}"
            display(bundle, raw=True, display_id=self._display_id)
        else:
            update_display(bundle, raw=True, display_id=self._display_id)
