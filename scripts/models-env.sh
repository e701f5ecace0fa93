#!/usr/bin/env bash
# Creates .venv-models: the TensorFlow environment for model export, `servestack models check`
# and the contract tests. Kept apart from .venv (the deploy environment) because TensorFlow 2.21
# needs protobuf >= 6.31 while pulumi-policy pins protobuf 5.29. Idempotent; re-run to update.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MODELS_VENV:-$ROOT/.venv-models}"
PYTHON="${PYTHON:-python3}"

TF_VERSION="${TF_VERSION:-2.21.*}"

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
shared = {"typer", "rich", "pydantic", "pyyaml", "grpcio"}
wanted = list(project["optional-dependencies"]["models"])
wanted += [r for r in project["dependencies"] if re.split(r"[<>=~!\[ ]", r)[0].lower() in shared]
wanted += [r for r in project["optional-dependencies"]["dev"] if r.startswith("pytest")]
print("\n".join(wanted))
PY
)
"${PIP[@]}" install "${REQUIREMENTS[@]}" "tensorflow-cpu==${TF_VERSION}"
# tensorflow-serving-api declares a dependency on the full `tensorflow` wheel; tensorflow-cpu
# provides the same modules, so the serving API protos go in without their dependencies.
"${PIP[@]}" install --no-deps "tensorflow-serving-api==${TF_VERSION}"
# The project itself, without its deploy-side dependencies (Pulumi is not needed here).
"${PIP[@]}" install --no-deps -e "$ROOT"
"$VENV/bin/python" -c 'import tensorflow as tf, tensorflow_serving.apis.predict_pb2, model_images.export, infra.cli.models; print("tensorflow", tf.__version__)'
