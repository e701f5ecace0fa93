#!/usr/bin/env bash
# Creates .venv-models: the TensorFlow environment for model export, `servestack models check`
# and the contract tests. Kept apart from .venv (the deploy environment) so `pulumi up` never
# needs TensorFlow (1.3 GB). Idempotent; re-run to update.
#
# TensorFlow follows the TF Serving release the stack files pin (images.tfServingVersion): the
# gate must load models with the runtime the server runs. TF Serving 2.19.1 is built on
# TensorFlow's r2.19 branch (tensorflow/serving 2.19.1, WORKSPACE: org_tensorflow git_commit
# f4247ebb), so it gets tensorflow-cpu 2.19.x.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MODELS_VENV:-$ROOT/.venv-models}"
PYTHON="${PYTHON:-python3}"

# Every stack must pin the same TF Serving release; its major.minor picks TensorFlow.
mapfile -t PINS < <(sed -n 's/^ *tfServingVersion: *"\{0,1\}\([0-9][0-9.]*\)"\{0,1\} *$/\1/p' \
  "$ROOT"/stacks/Pulumi.*.yaml | sort -u)
if [[ "${#PINS[@]}" -ne 1 ]]; then
  echo "models-env: stacks pin ${#PINS[@]} TF Serving versions (${PINS[*]:-none}); expected one" >&2
  exit 2
fi
SERVING_VERSION="${PINS[0]}"
TF_MINOR="$(cut -d. -f1,2 <<<"$SERVING_VERSION")"
TF_VERSION="${TF_MINOR}.*"

if [[ ! -x "$VENV/bin/python" ]]; then
  "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)

"${PIP[@]}" install --upgrade pip >/dev/null
# The `models` extra of pyproject.toml (TensorFlow, protobuf 6) plus the few deploy-side
# libraries the CLI and the smoke client import; pyproject.toml stays the one list of ranges.
mapfile -t REQUIREMENTS < <("$VENV/bin/python" - "$ROOT/pyproject.toml" <<'PY'
import re
import sys
import tomllib

with open(sys.argv[1], "rb") as handle:
    project = tomllib.load(handle)["project"]
shared = {"typer", "rich", "pydantic", "pyyaml", "grpcio", "google-cloud-storage"}
wanted = list(project["optional-dependencies"]["models"])
wanted += [r for r in project["dependencies"] if re.split(r"[<>=~!\[ ]", r)[0].lower() in shared]
wanted += [
    r
    for r in project["optional-dependencies"]["dev"]
    if r.startswith(("pytest", "gcp-storage-emulator"))
]
print("\n".join(wanted))
PY
)
"${PIP[@]}" install "${REQUIREMENTS[@]}" "tensorflow-cpu==${TF_VERSION}"
echo "models-env: TF Serving ${SERVING_VERSION} -> tensorflow-cpu ${TF_VERSION}"
# tensorflow-serving-api declares a dependency on the full `tensorflow` wheel; tensorflow-cpu
# provides the same modules, so the serving API protos go in without their dependencies.
"${PIP[@]}" install --no-deps "tensorflow-serving-api==${SERVING_VERSION}"
# The project itself, without its deploy-side dependencies (Pulumi is not needed here).
"${PIP[@]}" install --no-deps -e "$ROOT"
"$VENV/bin/python" -c 'import tensorflow as tf, tensorflow_serving.apis.predict_pb2, model_images.export, infra.cli.models; print("tensorflow", tf.__version__)'
