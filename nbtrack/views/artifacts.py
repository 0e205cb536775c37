"""Small artifacts the views draw (confusion matrices)."""

from __future__ import annotations

import json
from typing import Any, Sequence

__all__ = ["confusion_matrices"]


def confusion_matrices(store: Any, run_ids: Sequence[str], limit: int = 4
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
