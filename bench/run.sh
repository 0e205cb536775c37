#!/usr/bin/env bash
# Set up bench/.venv (MLflow lives only here) and run the side-by-side comparison.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -x "$here/.venv/bin/python" ] || ! "$here/.venv/bin/python" -c "import mlflow, nbtrack" 2>/dev/null; then
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install --quiet --upgrade pip
  "$here/.venv/bin/pip" install --quiet mlflow scikit-learn pandas skops
  "$here/.venv/bin/pip" install --quiet -e "$here/.."
fi
export MLFLOW_DISABLE_TELEMETRY=true
exec "$here/.venv/bin/python" "$here/compare.py" "$@"
