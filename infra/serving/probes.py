"""Health probes of the model server, sized from the stack's rollout settings.

The pinned TF Serving opens its ports only after every model has loaded, and registers no
gRPC health service. Readiness asks the REST API for a model's metadata, which succeeds only
while a version of that model is available; liveness only checks that the gRPC port
accepts connections, so a busy server is taken out of rotation but never restarted.
"""

from __future__ import annotations

import math
from typing import Any

from infra.config import ServerSpec

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
    """A socket check on gRPC: a server under load answers it, a hung process does not."""
    return {
        "tcpSocket": {"port": "grpc"},
        "periodSeconds": PERIOD_SECONDS,
        "timeoutSeconds": TIMEOUT_SECONDS,
        "failureThreshold": 6,
        "successThreshold": 1,
    }
