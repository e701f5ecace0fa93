"""The REST Gateway of a model server on GKE: exact canary weights and header routing.

Why a Gateway: a Service splits traffic by pod count, so a canary's share drifts as the
autoscalers scale. GKE's managed Gateway controller honours HTTPRoute backend weights
(https://cloud.google.com/kubernetes-engine/docs/how-to/traffic-management#traffic_splitting)
but has no GRPCRoute (GoogleCloudPlatform/gke-gateway-api#31), so the Gateway carries REST
on 8501 only; gRPC stays on the L4 load balancer Service (docs/rollouts.md says why).

Every builder returns a manifest in the API's own shape; the vendored CRD schemas of
Gateway API v1.2.1 and GKE's HealthCheckPolicy check them in tests/serving.
"""

from __future__ import annotations

from typing import Any

from infra.config import ServerSpec
from infra.config.targets import ServingTarget
from infra.serving import layout
from infra.serving.labels import Track, object_labels, track_selector
from infra.serving.probes import readiness_path

GATEWAY_API = "gateway.networking.k8s.io/v1"
GKE_NETWORKING_API = "networking.gke.io/v1"
LISTENER_PORT = 80
TRACK_HEADER = "x-model-track"
# Google's health checkers probe backends from these ranges
# (https://cloud.google.com/load-balancing/docs/health-check-concepts#ip-ranges); with
# container-native load balancing the probes reach the pods themselves, so the pods'
# NetworkPolicy must let them in, as well as the proxy-only subnet the proxies send from
# (https://cloud.google.com/load-balancing/docs/proxy-only-subnets).
HEALTH_CHECK_RANGES = ("35.191.0.0/16", "130.211.0.0/22")
HEALTH_CHECK_INTERVAL_SECONDS = 5
HEALTH_CHECK_TIMEOUT_SECONDS = 5


def enabled(target: ServingTarget) -> bool:
    return target.gateway_class is not None


def track_service_name(server: ServerSpec, track: Track) -> str:
    return f"{server.name}-{track}"


def tracks(server: ServerSpec) -> tuple[Track, ...]:
    return ("stable", "canary") if server.canary is not None else ("stable",)


def weights(server: ServerSpec) -> dict[Track, int]:
    """Percent of REST requests per track, exactly as the stack file says."""
    if server.canary is None:
        return {"stable": 100}
    return {"stable": 100 - server.canary.weight, "canary": server.canary.weight}


def _metadata(name: str, namespace: object, target: ServingTarget, server: ServerSpec) -> Any:
    return {"name": name, "namespace": namespace, "labels": object_labels(target, server)}


def track_service(
    target: ServingTarget, server: ServerSpec, namespace: object, track: Track
) -> dict[str, Any]:
    """One track's REST backend: the route weighs Services, so each track needs its own.

    The NEG annotation is GKE's default for Gateway backends; it is written out so the
    plan says how the load balancer reaches the pods (container-native, pod IPs).
    """
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            **_metadata(track_service_name(server, track), namespace, target, server),
            "annotations": {"cloud.google.com/neg": '{"exposed_ports":{"8501":{}}}'},
        },
        "spec": {
            "type": "ClusterIP",
            "selector": track_selector(target, server, track),
            "ports": [
                {
                    "name": "http",
                    "port": layout.REST_PORT,
                    "targetPort": "http",
                    "protocol": "TCP",
                    "appProtocol": "http",
                }
            ],
        },
    }


def gateway(target: ServingTarget, server: ServerSpec, namespace: object) -> dict[str, Any]:
    """One Gateway per server, like one L4 load balancer per server: an address of its own."""
    return {
        "apiVersion": GATEWAY_API,
        "kind": "Gateway",
        "metadata": _metadata(server.name, namespace, target, server),
        "spec": {
            "gatewayClassName": target.gateway_class,
            "listeners": [
                {
                    "name": "http",
                    "protocol": "HTTP",
                    "port": LISTENER_PORT,
                    "allowedRoutes": {"namespaces": {"from": "Same"}},
                }
            ],
        },
    }


def _backend(server: ServerSpec, track: Track, weight: int | None = None) -> dict[str, Any]:
    ref: dict[str, Any] = {
        "group": "",
        "kind": "Service",
        "name": track_service_name(server, track),
        "port": layout.REST_PORT,
    }
    if weight is not None:
        ref["weight"] = weight
    return ref


def http_route(target: ServingTarget, server: ServerSpec, namespace: object) -> dict[str, Any]:
    """REST to the server: a track header picks the track outright (A/B trials before the
    canary has weight); every other request is split by the stack file's exact weights.

    With equal path matches, the match with more header matches wins, whatever the rule
    order (kubernetes-sigs/gateway-api v1.2.1 apis/v1/httproute_types.go:174-182).
    """
    rules: list[dict[str, Any]] = [
        {
            "matches": [
                {
                    "path": {"type": "PathPrefix", "value": "/"},
                    "headers": [{"type": "Exact", "name": TRACK_HEADER, "value": track}],
                }
            ],
            "backendRefs": [_backend(server, track)],
        }
        for track in tracks(server)
    ]
    split = weights(server)
    rules.append(
        {
            "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
            "backendRefs": [_backend(server, track, split[track]) for track in tracks(server)],
        }
    )
    return {
        "apiVersion": GATEWAY_API,
        "kind": "HTTPRoute",
        "metadata": _metadata(server.name, namespace, target, server),
        "spec": {
            "parentRefs": [
                {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": server.name}
            ],
            "rules": rules,
        },
    }


def health_check_policy(
    target: ServingTarget, server: ServerSpec, namespace: object, track: Track
) -> dict[str, Any]:
    """The load balancer's health check of one track's Service, on the readiness path.

    GKE's default for a Gateway backend asks for `/` on the serving port, where TF Serving's
    REST server answers 404: its dispatcher takes only paths matching the REST handler's
    `/v1/...` pattern, plus the metrics path (tensorflow/serving model_servers/
    http_server.cc, RestApiRequestDispatcher::Dispatch), so every backend would be
    unhealthy. The model's metadata answers 200 once a version is loaded, as the readiness
    probe does.
    """
    return {
        "apiVersion": GKE_NETWORKING_API,
        "kind": "HealthCheckPolicy",
        "metadata": _metadata(track_service_name(server, track), namespace, target, server),
        "spec": {
            "default": {
                "checkIntervalSec": HEALTH_CHECK_INTERVAL_SECONDS,
                "timeoutSec": HEALTH_CHECK_TIMEOUT_SECONDS,
                "healthyThreshold": 1,
                "unhealthyThreshold": 2,
                "config": {
                    "type": "HTTP",
                    # No `port`: the default portSpecification USE_SERVING_PORT probes the
                    # backend's serving port (8501 through the NEG), and the CRD forbids a
                    # port with it (gke-gateway-api apis/networking/v1/healthcheck_types.go:159).
                    "httpHealthCheck": {"requestPath": readiness_path(server)},
                },
            },
            "targetRef": {
                "group": "",
                "kind": "Service",
                "name": track_service_name(server, track),
            },
        },
    }


def network_policy_rules(target: ServingTarget) -> list[dict[str, Any]]:
    """Ingress to REST from the Gateway's proxies and Google's health checkers; none without
    a Gateway. The proxies terminate client connections, so a client's own address never
    reaches the pod through this path: callers are restricted at the Gateway, not here."""
    if not enabled(target) or target.proxy_only_cidr is None:
        return []
    sources = [target.proxy_only_cidr, *HEALTH_CHECK_RANGES]
    return [
        {
            "from": [{"ipBlock": {"cidr": cidr}} for cidr in sources],
            "ports": [{"port": layout.REST_PORT, "protocol": "TCP"}],
        }
    ]


def objects(target: ServingTarget, server: ServerSpec, namespace: object) -> list[dict[str, Any]]:
    """Everything the Gateway path declares for a server, in a fixed order; [] without one."""
    if not enabled(target):
        return []
    found: list[dict[str, Any]] = []
    for track in tracks(server):
        found.append(track_service(target, server, namespace, track))
        found.append(health_check_policy(target, server, namespace, track))
    found.append(gateway(target, server, namespace))
    found.append(http_route(target, server, namespace))
    return found
