"""What ``%%track`` adds to a cell, measured in a real kernel, next to MLflow autolog.

Each variant runs in its own fresh kernel: the same cell (fit a LogisticRegression
on iris and score it; and a trivial ``x = 1``) executed untracked, then under
``%%track`` or after ``mlflow.sklearn.autolog()``. Times are wall clock from the
execute request to the kernel going idle, medians over repeated executions after
one warm-up execution (the first execution, which pays one-time imports, is
reported separately).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

from jupyter_client.manager import start_new_kernel

SETUP = ("from sklearn.datasets import load_iris\n"
         "from sklearn.linear_model import LogisticRegression\n"
         "X, y = load_iris(return_X_y=True)\n")
FIT = "model = LogisticRegression(max_iter=500).fit(X, y)\nacc = model.score(X, y)\n"
TRIVIAL = "x = 1\n"


def execute(kc, code: str) -> float:
    t = time.perf_counter()
    reply = kc.execute_interactive(code, timeout=300, output_hook=lambda msg: None)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"cell failed: {reply['content']}")
    return time.perf_counter() - t


def measure(prelude: str, prefix: str, body: str, repeats: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="bench-cell-") as folder:
        env = dict(os.environ, NBTRACK_STORE=os.path.join(folder, ".nbtrack"),
                   MLFLOW_DISABLE_TELEMETRY="true")
        km, kc = start_new_kernel(kernel_name="python3", cwd=folder, env=env)
        try:
            execute(kc, SETUP)
            if prelude:
                execute(kc, prelude.replace("FOLDER", folder))
            first = execute(kc, prefix + body)
            times = [execute(kc, prefix + body) for _ in range(repeats)]
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    return first, statistics.median(times)


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    variants = {
        "untracked": ("", ""),
        # the extension's own cost on cells the user did not track (its hooks, the model
        # writer started in the background once scikit-learn is imported)
        "extension loaded, untracked": ("%load_ext nbtrack", ""),
        "%%track": ("%load_ext nbtrack", "%%track\n"),
        "mlflow autolog": (("import mlflow, mlflow.sklearn\n"
                            "mlflow.set_tracking_uri('sqlite:///FOLDER/mlflow.db')\n"
                            "mlflow.sklearn.autolog()"), ""),
    }
    rows = {}
    for label, (prelude, prefix) in variants.items():
        for cell, body in (("fit", FIT), ("trivial", TRIVIAL)):
            if label == "mlflow autolog" and cell == "trivial":
                continue  # autolog does nothing on a cell without a fit
            print(f"  {label} {cell}", file=sys.stderr, flush=True)
            rows[(label, cell)] = measure(prelude, prefix, body, repeats)
    print(f"| cell | variant | first execution | first: overhead (target ≤ +100 ms) | "
          f"median of {repeats} | overhead | target |")
    print("|---|---|---:|---:|---:|---:|---|")
    for (label, cell), (first, median) in rows.items():
        base_first, base = rows[("untracked", cell)]
        target = ("≤ 10 % of untracked + 20 ms = "
                  f"{(0.1 * base + 0.02) * 1e3:.0f} ms" if cell == "fit" else "≤ 5 ms")
        over = "" if label == "untracked" else f"{(median - base) * 1e3:+.1f} ms"
        first_over = "" if label == "untracked" else f"{(first - base_first) * 1e3:+.0f} ms"
        print(f"| {cell} | {label} | {first * 1e3:.0f} ms | {first_over} | "
              f"{median * 1e3:.1f} ms | {over} | "
              f"{'' if label == 'untracked' else target} |")


if __name__ == "__main__":
    main()
