"""The pod template of a model server: container, security, placement, shutdown.

Plain data in the Kubernetes API's own shape (camelCase), so the same dicts are
unit-tested, validated against the schema and handed to the Deployment resource.
"""

from __future__ import annotations

from typing import Any

from infra.config import ServerSpec
from infra.config.placement import ACCELERATOR_LABEL, PoolPlacement
from infra.config.targets import ServingTarget
from infra.serving import layout
from infra.serving.flags import server_command, server_flags
from infra.serving.labels import (
    MODEL_VERSIONS_ANNOTATION,
    TRACK_LABEL,
    Track,
    object_labels,
    served_versions,
    track_selector,
    version_label,
    versions_annotation,
)
from infra.serving.probes import liveness_probe, readiness_probe, startup_probe
from infra.serving.quantity import memory_limit

CONTAINER_NAME = "tensorflow-serving"
GPU_RESOURCE = "nvidia.com/gpu"
WORKLOAD_IDENTITY_ANNOTATION = "iam.gke.io/gcp-service-account"
ZONE_KEY = "topology.kubernetes.io/zone"
HOST_KEY = "kubernetes.io/hostname"
TMP_VOLUME = "tmp"
TMP_SIZE_LIMIT = "1Gi"
# Kubernetes minor versions from which a feature is on by default.
SLEEP_ACTION_SINCE = 30  # lifecycle preStop `sleep` (beta, default on)
MATCH_LABEL_KEYS_SINCE = 27  # topologySpreadConstraints.matchLabelKeys (beta, default on)


def resources(server: ServerSpec) -> dict[str, dict[str, str]]:
    """Guaranteed CPU, memory limit with version-swap headroom, GPUs as whole devices."""
    res = server.resources
    requests = {"cpu": res.cpu, "memory": res.memory}
    limits = {"cpu": res.cpu, "memory": memory_limit(res.memory, res.swap_headroom_percent)}
    if res.gpus:
        requests[GPU_RESOURCE] = str(res.gpus)
        limits[GPU_RESOURCE] = str(res.gpus)
    return {"limits": limits, "requests": requests}


def pre_stop(target: ServingTarget, server: ServerSpec) -> dict[str, Any] | None:
    """Keep serving while endpoints and load balancers drop the pod, then let SIGTERM in."""
    seconds = server.rollout.pre_stop_seconds
    if seconds == 0:
        return None
    if target.kubernetes_minor >= SLEEP_ACTION_SINCE:
        return {"preStop": {"sleep": {"seconds": seconds}}}
    return {"preStop": {"exec": {"command": ["sleep", str(seconds)]}}}


def container_security_context() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "runAsGroup": layout.RUN_AS_GROUP,
        "runAsNonRoot": True,
        "runAsUser": layout.RUN_AS_USER,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def pod_security_context() -> dict[str, Any]:
    return {
        "fsGroup": layout.RUN_AS_GROUP,
        "runAsGroup": layout.RUN_AS_GROUP,
        "runAsNonRoot": True,
        "runAsUser": layout.RUN_AS_USER,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container(
    target: ServingTarget, server: ServerSpec, image: object, placement: PoolPlacement | None
) -> dict[str, Any]:
    """The single TF Serving container; `image` is the digest-pinned ref (or its Output)."""
    body: dict[str, Any] = {
        "name": CONTAINER_NAME,
        "image": image,
        # The ref is pinned by digest: the node's copy is always the right one.
        "imagePullPolicy": "IfNotPresent",
        "command": server_command(),
        "args": server_flags(target, server, placement),
        "ports": [
            {"name": "grpc", "containerPort": layout.GRPC_PORT, "protocol": "TCP"},
            {"name": "http", "containerPort": layout.REST_PORT, "protocol": "TCP"},
        ],
        "resources": resources(server),
        "startupProbe": startup_probe(server),
        "readinessProbe": readiness_probe(server),
        "livenessProbe": liveness_probe(),
        "securityContext": container_security_context(),
        "volumeMounts": [{"name": TMP_VOLUME, "mountPath": layout.WRITABLE_TMP}],
    }
    lifecycle = pre_stop(target, server)
    if lifecycle is not None:
        body["lifecycle"] = lifecycle
    return body


def spread(
    target: ServingTarget, server: ServerSpec, placement: PoolPlacement | None, track: Track
) -> dict[str, Any]:
    """Zone spread (when asked) and a preference for one replica per node."""
    selector = {"matchLabels": track_selector(target, server, track)}
    out: dict[str, Any] = {
        "affinity": {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 100,
                        "podAffinityTerm": {"labelSelector": selector, "topologyKey": HOST_KEY},
                    }
                ]
            }
        }
    }
    if server.rollout.spread_across_zones:
        # A pool that may put nodes in any zone (scarce GPUs) must not block scale-ups.
        strict = placement is None or placement.location_policy == "BALANCED"
        constraint: dict[str, Any] = {
            "maxSkew": 1,
            "topologyKey": ZONE_KEY,
            "whenUnsatisfiable": "DoNotSchedule" if strict else "ScheduleAnyway",
            "labelSelector": selector,
        }
        if target.kubernetes_minor >= MATCH_LABEL_KEYS_SINCE:
            # Spread each ReplicaSet on its own, so a rolling update spreads too.
            constraint["matchLabelKeys"] = ["pod-template-hash"]
        out["topologySpreadConstraints"] = [constraint]
    return out


def pod_template(
    target: ServingTarget,
    server: ServerSpec,
    *,
    image: object,
    track: Track,
    placement: PoolPlacement | None,
    service_account: str,
) -> dict[str, Any]:
    """Metadata and spec of the pods of one track of a model server."""
    served = served_versions(server, track)
    labels = {**object_labels(target, server, version_label(served)), TRACK_LABEL: track}
    if placement is not None and placement.gpu_type is not None:
        labels[ACCELERATOR_LABEL] = placement.gpu_type
    pod: dict[str, Any] = {
        "serviceAccountName": service_account,
        "automountServiceAccountToken": server.gcp_service_account is not None,
        # The server ignores SIGTERM as PID 1; behind the pause process it gets the
        # default action and stops once the preStop pause is over.
        "shareProcessNamespace": True,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": server.rollout.termination_grace_seconds,
        "securityContext": pod_security_context(),
        "containers": [container(target, server, image, placement)],
        "volumes": [{"name": TMP_VOLUME, "emptyDir": {"sizeLimit": TMP_SIZE_LIMIT}}],
        **spread(target, server, placement, track),
    }
    if placement is not None:
        if placement.node_selector:
            pod["nodeSelector"] = dict(sorted(placement.node_selector.items()))
        if placement.tolerations:
            pod["tolerations"] = [dict(sorted(t.items())) for t in placement.tolerations]
    return {
        "metadata": {
            "annotations": {
                "kubectl.kubernetes.io/default-container": CONTAINER_NAME,
                MODEL_VERSIONS_ANNOTATION: versions_annotation(served),
            },
            "labels": dict(sorted(labels.items())),
        },
        "spec": pod,
    }
