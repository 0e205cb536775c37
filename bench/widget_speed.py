"""Kernel-side speed of the compare widget over 10,000 runs (nbtrack only).

Builds a store of 10,000 runs with the bulk path, then times building the widget
and its first page, and each interaction (sort, filter, next page). Medians of 5.
Run: ``.venv/bin/python bench/widget_speed.py`` (the project's own environment).
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time


def main() -> None:
    folder = tempfile.mkdtemp(prefix="bench-widget-")
    os.environ["NBTRACK_STORE"] = os.path.join(folder, ".nbtrack")
    import nbtrack
    from nbtrack.entities import Run, RunStatus
    from nbtrack.ids import new_run_id

    rng = random.Random(0)
    store = nbtrack.tracker().store
    store.bulk_import(Run(new_run_id(1.7e9 + i), experiment="big", status=RunStatus.FINISHED,
                          start_time=1.7e9 + i, end_time=1.7e9 + i + 3, name=f"run{i}",
                          params={"model": rng.choice(["rf", "lr", "svm"]), "lr": rng.random(),
                                  "depth": rng.randint(1, 12)},
                          metrics={"acc": rng.random(), "loss": rng.random()})
                      for i in range(10_000))
    nbtrack.set_experiment("big")
    from nbtrack.views.widget import CompareWidget  # import cost is not the widget's

    def timed(fn) -> float:
        samples = []
        for _ in range(5):
            store._search_cache = None
            t = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t)
        return statistics.median(samples)

    widget = CompareWidget(store, "big")
    build = timed(lambda: CompareWidget(store, "big"))
    flip = iter(["metrics.acc DESC", "params.lr ASC"] * 10)
    sort = timed(lambda: setattr(widget, "sort", next(flip)))
    filters = iter(["metrics.acc > 0.5 and params.model = 'rf'", "params.depth >= 6"] * 10)
    filt = timed(lambda: setattr(widget, "filter", next(filters)))
    widget.filter = ""
    pages = iter(range(1, 50))
    page = timed(lambda: setattr(widget, "page", next(pages)))
    print("| 10,000 runs | median of 5 | target |\n|---|---:|---|")
    for label, value, target in (("build widget + first page", build, 0.3),
                                 ("sort", sort, 0.1), ("filter", filt, 0.1),
                                 ("next page", page, 0.1)):
        print(f"| {label} | {value * 1e3:.1f} ms | ≤ {target * 1e3:.0f} ms "
              f"({'met' if value <= target else 'missed'}) |")


if __name__ == "__main__":
    main()
