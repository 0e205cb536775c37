#!/usr/bin/env bash
# Benchmarks of nbtrack next to MLflow. MLflow is installed only in bench/.venv,
# which this script creates on first use (python3 -m venv).
#   bash bench/run.sh [compare] [--repeats N] [--quick] [--only a,b] [--markdown FILE]
#   bash bench/run.sh cells [REPEATS]   # %%track overhead in a real kernel vs MLflow autolog
#   bash bench/run.sh serve             # nbtrack serve vs mlflow models serve
#   bash bench/run.sh scale [--repeats N]  # cost at 1k/10k/100k runs, 100k listing, peak RSS
#   bash bench/run.sh drift [--repeats N] [--rows N]  # nbtrack.drift vs Evidently, 1M rows
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
py="$here/.venv/bin/python"
# checked from / so that the checkout's own nbtrack/ folder cannot stand in for an install
if [ ! -x "$py" ] || ! (cd / && "$py" -c "import mlflow, evidently, nbtrack, sklearn, pandas, skops, ipykernel, psycopg") 2>/dev/null; then
  python3 -m venv "$here/.venv"
  "$py" -m pip install --quiet --upgrade pip
  "$py" -m pip install --quiet -r "$here/mlflow-requirements.txt" scikit-learn pandas skops \
    ipykernel jupyter_client
  "$py" -m pip install --quiet -e "$root[serve,postgres]"
fi
export MLFLOW_DISABLE_TELEMETRY=true
script=compare.py
case "${1:-}" in
  cells) script=cell_overhead.py; shift ;;
  serve) script=serve_compare.py; shift
    # `nbtrack serve` of a version with an ONNX export needs the export's packages in this venv too
    (cd / && "$py" -c "import skl2onnx, onnxruntime") 2>/dev/null || \
      "$py" -m pip install --quiet -e "$root[onnx]" ;;
  scale) script=scaling.py; shift ;;
  drift) script=drift_compare.py; shift ;;
  compare) shift ;;
esac
exec "$py" "$here/$script" "$@"
