#!/usr/bin/env bash
# Set up bench/.venv (MLflow lives only here) and run a benchmark:
#   bash bench/run.sh [compare] [--repeats N] [--only a,b] [--quick] [--markdown FILE]
#   bash bench/run.sh cells [REPEATS]      # %%track overhead in a real kernel vs MLflow autolog
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -x "$here/.venv/bin/python" ] || ! "$here/.venv/bin/python" -c "import mlflow, nbtrack, ipykernel" 2>/dev/null; then
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install --quiet --upgrade pip
  "$here/.venv/bin/pip" install --quiet mlflow scikit-learn pandas skops ipykernel jupyter_client
  "$here/.venv/bin/pip" install --quiet -e "$here/.."
fi
export MLFLOW_DISABLE_TELEMETRY=true
script=compare.py
case "${1:-}" in
  cells) script=cell_overhead.py; shift ;;
  compare) shift ;;
esac
exec "$here/.venv/bin/python" "$here/$script" "$@"
