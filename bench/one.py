"""Run one workload for one system in this (fresh) process; print one JSON line."""

from __future__ import annotations

import json
import sys
import tempfile

from adapters import ADAPTERS
from workloads import WORKLOADS


def main() -> None:
    system, workload = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        adapter = ADAPTERS[system](folder)
        result = WORKLOADS[workload](adapter)
    print(json.dumps({"system": system, "workload": workload, **result}))


if __name__ == "__main__":
    main()
