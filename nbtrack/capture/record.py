"""Adding values to a run after its cell has finished (``%track log``)."""

from __future__ import annotations

import time
from typing import Any, Mapping

from ..entities import Metric
from ..validation import check_key, to_metric_value, to_tag_value

__all__ = ["log_into_run"]


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def log_into_run(store: Any, run_id: str, values: Mapping[str, str]) -> list[str]:
    """Log ``key=value`` texts into a run: numbers as metrics, anything else as tags.

    A metric that already has a history gets the value at its next step.

    Returns
    -------
    list of str
        ``key=value`` descriptions of what was logged.
    """
    run = store.get_run(run_id)
    metrics, tags, done = [], [], []
    now = time.time()
    for key, text in values.items():
        check_key(key, "name")
        number = _number(text)
        if number is not None:
            step = len(store.metric_history(run.run_id, key))
            metrics.append(Metric(key, to_metric_value(key, number), step, now))
            done.append(f"metric {key}={number:g}")
        else:
            tags.append((key, to_tag_value(key, text)))
            done.append(f"tag {key}={text}")
    store.log_batch(run.run_id, metrics=metrics, tags=tags)
    store.flush()
    return done
