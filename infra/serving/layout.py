"""Where things live inside a model image; the image build and the server flags share it."""

from __future__ import annotations

MODELS_ROOT = "/models"
CONFIG_DIR = "/etc/servestack"
MODEL_CONFIG_FILE = f"{CONFIG_DIR}/models.config"
MONITORING_CONFIG_FILE = f"{CONFIG_DIR}/monitoring.config"
BATCHING_CONFIG_FILE = f"{CONFIG_DIR}/batching.config"
# TF Serving writes nothing to disk in normal operation, but TF may use /tmp.
WRITABLE_TMP = "/tmp"
# The model server binary of the tensorflow/serving images, started directly (no shell).
SERVER_BINARY = "/usr/bin/tensorflow_model_server"
GRPC_PORT = 8500
REST_PORT = 8501
METRICS_PATH = "/monitoring/prometheus/metrics"
# Non-root identity baked into the image and required by the pod security context.
RUN_AS_USER = 10001
RUN_AS_GROUP = 10001


def model_base_path(model: str) -> str:
    return f"{MODELS_ROOT}/{model}"
