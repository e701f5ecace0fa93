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
# TensorFlow (CPU build) and the libraries export, checks and the smoke client use.
"${PIP[@]}" install \
  "tensorflow-cpu==${TF_VERSION}" \
  "protobuf>=6.31,<7" \
  "grpcio>=1.60" \
  "numpy>=1.26" \
  "typer>=0.12" \
  "rich>=13" \
  "pydantic>=2.6,<3" \
  "pyyaml>=6" \
  "pytest>=8"
# tensorflow-serving-api declares a dependency on the full `tensorflow` wheel; tensorflow-cpu
# provides the same modules, so the serving API protos go in without their dependencies.
"${PIP[@]}" install --no-deps "tensorflow-serving-api==${TF_VERSION}"
# The project itself, without its deploy-side dependencies (Pulumi is not needed here).
"${PIP[@]}" install --no-deps -e "$ROOT"
"$VENV/bin/python" -c 'import tensorflow as tf, tensorflow_serving.apis.predict_pb2, model_images.export, infra.cli.models; print("tensorflow", tf.__version__)'
