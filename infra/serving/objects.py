"""Every Kubernetes object of one model server, as manifests in the API's own shape.

`namespace` and `image` may be deferred values (Pulumi Outputs): they are placed in the
manifest untouched, so the same functions serve tests and the component.
"""

from __future__ import annotations

import json
import math
from typing import Any

from infra.config import CustomMetric, ServerSpec
from infra.config.placement import PoolPlacement
from infra.config.targets import ServingTarget
from infra.serving import gateway, layout
from infra.serving.labels import (
    METRIC_TRACK_LABEL,
    TRACK_LABEL,
    Track,
    deployment_name,
    object_labels,
    selector_labels,
    served_versions,
    track_selector,
    version_label,
)
from infra.serving.podspec import WORKLOAD_IDENTITY_ANNOTATION, pod_template
from infra.serving.timeouts import progress_deadline_seconds

GMP_NAMESPACE = "gmp-system"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
INTERNAL_LB_ANNOTATION = "networking.gke.io/load-balancer-type"
CANARY_ANALYSIS_ANNOTATION = "servestack.io/canary-analysis"
SCRAPE_INTERVAL = "30s"
REVISION_HISTORY = 5
# Scale up at once (double, or +4 pods, per 15 s); scale down one pod a minute after a calm window.
SCALE_UP_PERCENT = 100
SCALE_UP_PODS = 4
SCALE_UP_PERIOD = 15
SCALE_DOWN_PODS = 1
SCALE_DOWN_PERIOD = 60


def _metadata(
    name: str,
    namespace: object,
    labels: dict[str, str],
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": labels}
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    return meta


def service_account(target: ServingTarget, server: ServerSpec, namespace: object) -> dict[str, Any]:
    """Own identity per server; Workload Identity binds it to a GCP service account if asked."""
    annotations = (
        {WORKLOAD_IDENTITY_ANNOTATION: server.gcp_service_account}
        if server.gcp_service_account
        else None
    )
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _metadata(server.name, namespace, object_labels(target, server), annotations),
        "automountServiceAccountToken": server.gcp_service_account is not None,
    }


def canary_bounds(server: ServerSpec) -> tuple[int, int]:
    """The canary HPA's (min, max): its weight's share of stable's bounds, at least one pod.

    The Gateway sends the canary exactly `weight` percent of REST requests; sized for that
    share, its own autoscaler then follows the load that share really brings.
    """
    if server.canary is None:
        return (0, 0)
    share = server.canary.weight / 100
    low = max(1, round(server.autoscaling.min * share))
    return low, max(low, math.ceil(server.autoscaling.max * share))


def deployment(
    target: ServingTarget,
    server: ServerSpec,
    *,
    namespace: object,
    image: object,
    track: Track,
    placement: PoolPlacement | None,
) -> dict[str, Any]:
    """A track's Deployment; each track leaves `replicas` to its own autoscaler."""
    version = version_label(served_versions(server, track))
    body: dict[str, Any] = {
        "selector": {"matchLabels": track_selector(target, server, track)},
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {
                "maxSurge": server.rollout.max_surge,
                "maxUnavailable": server.rollout.max_unavailable,
            },
        },
        "revisionHistoryLimit": REVISION_HISTORY,
        "progressDeadlineSeconds": progress_deadline_seconds(server),
        "template": pod_template(
            target,
            server,
            image=image,
            track=track,
            placement=placement,
            service_account=server.name,
        ),
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(
            deployment_name(server, track),
            namespace,
            object_labels(target, server, version),
            canary_annotations(server) if track == "canary" else None,
        ),
        "spec": body,
    }


def canary_annotations(server: ServerSpec) -> dict[str, str] | None:
    """The canary's analysis thresholds on its Deployment (not its pods: a threshold change
    rolls nothing), for the policy pack's canary-analysis rule and for whoever reads the
    cluster; `servestack canary` itself reads them from the stack file."""
    if server.canary is None or server.canary.analysis is None:
        return None
    analysis = server.canary.analysis.model_dump(by_alias=True)
    return {CANARY_ANALYSIS_ANNOTATION: json.dumps(analysis, sort_keys=True, separators=(",", ":"))}


def _ports() -> list[dict[str, Any]]:
    return [
        {
            "name": "grpc",
            "port": layout.GRPC_PORT,
            "targetPort": "grpc",
            "protocol": "TCP",
            "appProtocol": "kubernetes.io/h2c",
        },
        {
            "name": "http",
            "port": layout.REST_PORT,
            "targetPort": "http",
            "protocol": "TCP",
            "appProtocol": "http",
        },
    ]


def cluster_service(target: ServingTarget, server: ServerSpec, namespace: object) -> dict[str, Any]:
    """In-cluster endpoint of both tracks; its selector names neither track nor version."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(server.name, namespace, object_labels(target, server)),
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(target, server),
            "ports": _ports(),
        },
    }


def load_balancer_service(
    target: ServingTarget, server: ServerSpec, namespace: object
) -> dict[str, Any] | None:
    """The stack's `expose: internal|external` endpoint; None otherwise.

    An external one with no source ranges is still rendered: the policy pack flags it.
    """
    expose = target.expose
    if expose not in ("internal", "external"):
        return None
    annotations = {INTERNAL_LB_ANNOTATION: "Internal"} if expose == "internal" else None
    body: dict[str, Any] = {
        "type": "LoadBalancer",
        "selector": selector_labels(target, server),
        "ports": _ports(),
        # Keep client addresses, so the NetworkPolicy's CIDRs mean what they say.
        "externalTrafficPolicy": "Local",
    }
    if target.source_ranges:
        body["loadBalancerSourceRanges"] = list(target.source_ranges)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(
            f"{server.name}-{expose}", namespace, object_labels(target, server), annotations
        ),
        "spec": body,
    }


def node_port_service(
    target: ServingTarget, server: ServerSpec, namespace: object
) -> dict[str, Any] | None:
    """The stack's `expose: nodeport` endpoint, for clusters without load balancers; else None.

    The policy pack's no-node-port rule flags it wherever the stack's policy forbids it.
    """
    if target.expose != "nodeport":
        return None
    fixed = target.node_ports
    ports = _ports()
    if fixed is not None:
        for port in ports:
            node_port = fixed.grpc if port["name"] == "grpc" else fixed.http
            if node_port is not None:
                port["nodePort"] = node_port
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(f"{server.name}-nodeport", namespace, object_labels(target, server)),
        "spec": {
            "type": "NodePort",
            "selector": selector_labels(target, server),
            "ports": ports,
            # Keep client addresses, so the NetworkPolicy's CIDRs mean what they say.
            "externalTrafficPolicy": "Local",
        },
    }


def _custom_metric(metric: CustomMetric) -> dict[str, Any]:
    target = {"type": "AverageValue", "averageValue": metric.target_average_value}
    if metric.type == "Pods":
        return {"type": "Pods", "pods": {"metric": {"name": metric.name}, "target": target}}
    return {"type": "External", "external": {"metric": {"name": metric.name}, "target": target}}


def autoscaler(
    target: ServingTarget, server: ServerSpec, namespace: object, track: Track = "stable"
) -> dict[str, Any]:
    """autoscaling/v2 on a track's Deployment: CPU plus the stack's optional metric."""
    scaling = server.autoscaling
    low, high = (scaling.min, scaling.max) if track == "stable" else canary_bounds(server)
    metrics: list[dict[str, Any]] = [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {
                    "type": "Utilization",
                    "averageUtilization": scaling.target_cpu_utilization,
                },
            },
        }
    ]
    if scaling.metric is not None:
        metrics.append(_custom_metric(scaling.metric))
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _metadata(
            deployment_name(server, track), namespace, object_labels(target, server)
        ),
        "spec": {
            "scaleTargetRef": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": deployment_name(server, track),
            },
            "minReplicas": low,
            "maxReplicas": high,
            "metrics": metrics,
            "behavior": {
                "scaleUp": {
                    "stabilizationWindowSeconds": 0,
                    "selectPolicy": "Max",
                    "policies": [
                        {
                            "type": "Percent",
                            "value": SCALE_UP_PERCENT,
                            "periodSeconds": SCALE_UP_PERIOD,
                        },
                        {"type": "Pods", "value": SCALE_UP_PODS, "periodSeconds": SCALE_UP_PERIOD},
                    ],
                },
                "scaleDown": {
                    "stabilizationWindowSeconds": scaling.scale_down_stabilization_seconds,
                    "selectPolicy": "Min",
                    "policies": [
                        {
                            "type": "Pods",
                            "value": SCALE_DOWN_PODS,
                            "periodSeconds": SCALE_DOWN_PERIOD,
                        }
                    ],
                },
            },
        },
    }


def disruption_budget(
    target: ServingTarget, server: ServerSpec, namespace: object
) -> dict[str, Any] | None:
    """One voluntary eviction at a time once there are at least two replicas."""
    if server.autoscaling.min < 2:
        return None
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _metadata(server.name, namespace, object_labels(target, server)),
        "spec": {
            "maxUnavailable": 1,
            "selector": {"matchLabels": selector_labels(target, server)},
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
        },
    }


def _serving_ports() -> list[dict[str, Any]]:
    return [
        {"port": layout.GRPC_PORT, "protocol": "TCP"},
        {"port": layout.REST_PORT, "protocol": "TCP"},
    ]


def network_policy(target: ServingTarget, server: ServerSpec, namespace: object) -> dict[str, Any]:
    """The exceptions to the namespace's default deny: named callers, LB clients, scrapers."""
    serving = target
    peers: list[dict[str, Any]] = [
        {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: ns}}}
        for ns in serving.allow_from.namespaces
    ]
    cidrs = list(serving.allow_from.cidrs)
    if serving.expose != "cluster":
        cidrs += [c for c in serving.source_ranges if c not in cidrs]
    peers += [{"ipBlock": {"cidr": cidr}} for cidr in cidrs]
    rules: list[dict[str, Any]] = []
    if peers:
        rules.append({"from": peers, "ports": _serving_ports()})
    rules += gateway.network_policy_rules(target)
    if monitoring_enabled(target):
        rules.append(
            {
                "from": [
                    {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: GMP_NAMESPACE}}}
                ],
                "ports": [{"port": layout.REST_PORT, "protocol": "TCP"}],
            }
        )
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _metadata(f"{server.name}-allow", namespace, object_labels(target, server)),
        "spec": {
            "podSelector": {"matchLabels": selector_labels(target, server)},
            "policyTypes": ["Ingress"],
            "ingress": rules,
        },
    }


def monitoring_enabled(target: ServingTarget) -> bool:
    """Managed Prometheus exists only on GKE clusters that enable it, never on a local one."""
    return target.scraped


def pod_monitoring(
    target: ServingTarget, server: ServerSpec, namespace: object
) -> dict[str, Any] | None:
    """GMP scrape of TF Serving's Prometheus endpoint on the REST port, both tracks."""
    if not monitoring_enabled(target):
        return None
    return {
        "apiVersion": "monitoring.googleapis.com/v1",
        "kind": "PodMonitoring",
        "metadata": _metadata(server.name, namespace, object_labels(target, server)),
        "spec": {
            "selector": {"matchLabels": selector_labels(target, server)},
            "endpoints": [
                {"port": "http", "path": layout.METRICS_PATH, "interval": SCRAPE_INTERVAL}
            ],
            # Each pod's track label becomes the `track` target label on every series it
            # exports: TF Serving's metrics carry no version, so this is what tells canary
            # from stable (PodMonitoring targetLabels.fromPod, GoogleCloudPlatform/
            # prometheus-engine pkg/operator/apis/monitoring/v1/pod_types.go:268).
            "targetLabels": {
                "metadata": ["pod", "container", "node"],
                "fromPod": [{"from": TRACK_LABEL, "to": METRIC_TRACK_LABEL}],
            },
        },
    }
