"""Health probes of the model server, sized from the stack's rollout settings.

The pinned TF Serving opens its ports only after every model has loaded. Readiness asks the
REST API for a model's metadata, which succeeds only while a version of that model is
available. Liveness asks the standard gRPC health service, which TF Serving has registered
since 2.16 behind `--enable_grpc_healthcheck_service` (model_servers/server.cc:413-421 at
2.19.1: the default health service, serving once the gRPC server is up); it answers
while the gRPC server works, whatever the models do, so a busy server is taken out of
rotation by readiness but only a wedged one is restarted.
"""

from __future__ import annotations

import math
from typing import Any

from infra.config import ServerSpec
from infra.serving import layout

PERIOD_SECONDS = 10
TIMEOUT_SECONDS = 5


def readiness_path(server: ServerSpec) -> str:
    """REST metadata of the server's first model: 200 only when a version is available."""
    return f"/v1/models/{server.models[0].name}/metadata"


def startup_probe(server: ServerSpec) -> dict[str, Any]:
    """Model-aware and patient: allows `startupTimeoutSeconds` for the slowest model load."""
    return {
        "httpGet": {"path": readiness_path(server), "port": "http", "scheme": "HTTP"},
        "periodSeconds": PERIOD_SECONDS,
        "timeoutSeconds": TIMEOUT_SECONDS,
        "failureThreshold": math.ceil(server.rollout.startup_timeout_seconds / PERIOD_SECONDS),
        "successThreshold": 1,
    }


def readiness_probe(server: ServerSpec) -> dict[str, Any]:
    return {
        "httpGet": {"path": readiness_path(server), "port": "http", "scheme": "HTTP"},
        "periodSeconds": 5,
        "timeoutSeconds": TIMEOUT_SECONDS,
        "failureThreshold": 2,
        "successThreshold": 1,
    }


def liveness_probe() -> dict[str, Any]:
    """The gRPC health check (`grpc.health.v1`): the kubelet's gRPC probe takes a port number
    only, not a named port (https://kubernetes.io/docs/tasks/configure-pod-container/
    configure-liveness-readiness-startup-probes/#define-a-grpc-liveness-probe)."""
    return {
        "grpc": {"port": layout.GRPC_PORT},
        "periodSeconds": PERIOD_SECONDS,
        "timeoutSeconds": TIMEOUT_SECONDS,
        "failureThreshold": 6,
        "successThreshold": 1,
    }
