#!/usr/bin/env bash
# Asks TF Serving for a model's version states (GET /v1/models/<model>,
# https://www.tensorflow.org/tfx/serving/api_rest#model_status_api) over a port-forward to
# TARGET (svc/NAME, or deployment/NAME for one track's pods), keeps the answer, and requires
# exactly the given versions AVAILABLE.
#
#   model-status.sh TARGET MODEL OUT.json VERSION...
set -euo pipefail

target="$1" model="$2" out="$3"
shift 3
namespace="${NAMESPACE:-serving}"
port="${LOCAL_REST_PORT:-18501}"

kubectl -n "$namespace" port-forward "$target" "$port:8501" >/dev/null 2>&1 &
forward=$!
trap 'kill "$forward" 2>/dev/null || true' EXIT

mkdir -p "$(dirname "$out")"
curl -fsS --retry 30 --retry-connrefused --retry-delay 1 \
  "http://127.0.0.1:$port/v1/models/$model" -o "$out"
python3 - "$out" "$@" <<'PY'
import json
import sys

document = json.load(open(sys.argv[1], encoding="utf-8"))
wanted = sorted(int(v) for v in sys.argv[2:])
rows = document.get("model_version_status") or []
states = {int(r["version"]): r["state"] for r in rows}
available = sorted(v for v, s in states.items() if s == "AVAILABLE")
print(f"model-status: {sys.argv[1]}: {states}")
if available != wanted:
    sys.exit(f"model-status: AVAILABLE versions {available}, expected {wanted}")
PY
