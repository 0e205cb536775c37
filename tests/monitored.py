"""A registered model with a reference sample and logged serving rows, for the tests of
what the server and JupyterLab show of its monitoring checks."""

from __future__ import annotations

import json

from nbtrack.tracking import Tracker

DAY = 86400.0


def served_model(store, name: str, versions: int):
    """``versions`` versions of a model registered with a reference sample of two normal
    features (``a``, ``b``); returns the sample."""
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from nbtrack import registry

    rng = np.random.default_rng(7)
    train = pd.DataFrame({"a": rng.normal(size=2_000), "b": rng.normal(size=2_000)})
    tracker = Tracker(store)
    for _ in range(versions):
        with tracker.start_run() as run:
            tracker.log_model(LogisticRegression().fit(train, train["a"] > 0), name="clf")
        registry.register_model(store, run.run_id, name, reference=train)
    return train


def log_requests(store, name: str, version: int, start: float, shift: float, rows: int,
                 seed: int) -> None:
    """``rows`` logged input rows for a version, five a request one minute apart from
    ``start``, feature ``a`` shifted by ``shift`` standard deviations."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    live = pd.DataFrame({"a": rng.normal(size=rows) + shift, "b": rng.normal(size=rows)})
    store.backend.registry.log_requests([
        (f"{name}-{version}-{seed}-{i}", start + i * 60.0, name, version, 200, 0.002, 5,
         json.dumps(live.iloc[i * 5:(i + 1) * 5].to_dict("split")), None)
        for i in range(rows // 5)])
