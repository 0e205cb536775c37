"""Small artifacts the views draw (confusion matrices, tables of scores)."""

from __future__ import annotations

import json
from typing import Any, Sequence

from ..store import Store

__all__ = ["confusion_matrices", "score_tables"]


def confusion_matrices(store: Store, run_ids: Sequence[str], limit: int = 4
                       ) -> list[tuple[str, str, dict[str, Any]]]:
    """``(run_id, artifact name, {"labels", "matrix"})`` for runs that logged one."""
    found = []
    for run_id in run_ids:
        for artifact in store.get_run(run_id).artifacts:
            if artifact.kind == "confusion_matrix":
                found.append((run_id, artifact.name,
                              json.loads(store.read_artifact(run_id, artifact.name))))
                if len(found) >= limit:
                    return found
    return found


def score_tables(store: Store, run_ids: Sequence[str], limit: int = 4, rows: int = 20
                 ) -> list[tuple[str, str, Any]]:
    """``(run_id, artifact name, DataFrame of its first rows)`` for tables runs kept."""
    import io

    import pandas as pd

    found = []
    for run_id in run_ids:
        for artifact in store.get_run(run_id).artifacts:
            if artifact.kind == "table":
                data = store.read_artifact(run_id, artifact.name)
                found.append((run_id, artifact.name, pd.read_csv(io.BytesIO(data), nrows=rows)))
                if len(found) >= limit:
                    return found
    return found
