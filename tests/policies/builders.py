"""Compliant resources in the JSON-plan shape; tests break one setting at a time."""

from __future__ import annotations

import copy
from typing import Any

STACK = "urn:pulumi:prod::servestack"
REGISTRY = "europe-west4-docker.pkg.dev/acme-ml-serving-prod/serving-models"
DIGEST = "sha256:" + "ab" * 32
KUBE_PROVIDER = f"{STACK}::pulumi:providers:kubernetes::kube"
GCP_PROVIDER = f"{STACK}::pulumi:providers:gcp::default_10_2_0"

NODE_SA = "serve-prod-nodes@acme-ml-serving-prod.iam.gserviceaccount.com"
STACK_LABELS = {"team": "ml-platform", "env": "prod", "cost-center": "cc-4120"}

CONFIG: dict[str, Any] = {
    "all": {"enforcementLevel": "mandatory"},
    "image-allowed-registry": {"allowedRegistries": [f"{REGISTRY}/"]},
    "zone-topology-spread": {"requireZoneSpread": True},
    "min-replicas": {"minReplicas": 2, "exemptLabels": {"servestack.io/track": "canary"}},
    "pdb-for-autoscaled": {"requirePdb": True},
    "gke-private-nodes": {"requirePrivateNodes": True},
    "gke-deletion-protection": {"requireDeletionProtection": True},
    "gpu-budget": {"gpuBudget": 8},
    "gpu-replacement-overlap": {"gpuBudget": 8},
    "kubernetes-labels": {"expectedLabels": {"env": "prod", "team": "ml-platform"}},
    "gcp-labels": {"expectedLabels": {"env": "prod"}},
}


def advisory(config: dict[str, Any]) -> dict[str, Any]:
    return {**copy.deepcopy(config), "all": {"enforcementLevel": "advisory"}}


def resource(
    type_: str, name: str, inputs: dict[str, Any], *, provider: str = "", parent: str = ""
) -> dict[str, Any]:
    return {
        "urn": f"{STACK}::{type_}::{name}",
        "type": type_,
        "name": name,
        "parent": parent,
        "provider": provider,
        "inputs": inputs,
        "options": {},
    }


def labels(name: str, component: str = "server") -> dict[str, str]:
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/instance": f"{name}-prod",
        "app.kubernetes.io/version": "2",
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": "servestack",
        "app.kubernetes.io/managed-by": "pulumi",
        **STACK_LABELS,
    }


def probe(path: str) -> dict[str, Any]:
    return {"httpGet": {"path": path, "port": 8501}, "periodSeconds": 10.0}


def container(name: str, *, gpu: bool = False) -> dict[str, Any]:
    repository = f"{REGISTRY}/{name}-gpu" if gpu else f"{REGISTRY}/{name}"
    limits: dict[str, Any] = {"cpu": "4", "memory": "16Gi"}
    if gpu:
        limits["nvidia.com/gpu"] = "1"
    return {
        "name": "tfserving",
        "image": f"{repository}:c0ffee12@{DIGEST}",
        "resources": {"requests": {"cpu": "4", "memory": "8Gi"}, "limits": limits},
        "startupProbe": probe("/v1/models/m"),
        "readinessProbe": probe("/v1/models/m"),
        "livenessProbe": {"tcpSocket": {"port": 8500}, "periodSeconds": 10.0},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "ports": [{"containerPort": 8500.0}, {"containerPort": 8501.0}],
    }


def deployment(
    name: str = "resnet", *, gpu: bool = False, component: str = "server"
) -> dict[str, Any]:
    pod_labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/component": component}
    spec: dict[str, Any] = {
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10001.0,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container(name, gpu=gpu)],
        "topologySpreadConstraints": [
            {
                "maxSkew": 1.0,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": pod_labels},
            }
        ],
    }
    if gpu:
        spec["nodeSelector"] = {
            "cloud.google.com/gke-nodepool": "gpu-l4",
            "servestack.io/accelerator": "nvidia-l4",
        }
        spec["tolerations"] = [
            {
                "key": "nvidia.com/gpu",
                "operator": "Equal",
                "value": "present",
                "effect": "NoSchedule",
            }
        ]
    return resource(
        "kubernetes:apps/v1:Deployment",
        name,
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": "serving", "labels": labels(name, component)},
            "spec": {
                "selector": {"matchLabels": pod_labels},
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": 1.0, "maxUnavailable": 0.0},
                },
                "template": {"metadata": {"labels": labels(name, component)}, "spec": spec},
            },
        },
        provider=KUBE_PROVIDER,
    )


def hpa(target: str = "resnet", *, low: float = 2.0, high: float = 6.0) -> dict[str, Any]:
    return resource(
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        f"{target}-hpa",
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": target, "namespace": "serving", "labels": labels(target)},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                "minReplicas": low,
                "maxReplicas": high,
            },
        },
        provider=KUBE_PROVIDER,
    )


def pdb(target: str = "resnet") -> dict[str, Any]:
    return resource(
        "kubernetes:policy/v1:PodDisruptionBudget",
        f"{target}-pdb",
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": target, "namespace": "serving", "labels": labels(target)},
            "spec": {
                "maxUnavailable": 1.0,
                "selector": {"matchLabels": {"app.kubernetes.io/name": target}},
            },
        },
        provider=KUBE_PROVIDER,
    )


def service(name: str = "resnet", *, type_: str = "ClusterIP", **spec: Any) -> dict[str, Any]:
    return resource(
        "kubernetes:core/v1:Service",
        f"{name}-svc",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": "serving", "labels": labels(name)},
            "spec": {"type": type_, "ports": [{"port": 8500.0}], **spec},
        },
        provider=KUBE_PROVIDER,
    )


def serving_app(name: str = "resnet", *, gpu: bool = False) -> list[dict[str, Any]]:
    return [deployment(name, gpu=gpu), hpa(name), pdb(name), service(name)]


def cluster(location: str = "europe-west4") -> dict[str, Any]:
    return resource(
        "gcp:container/cluster:Cluster",
        "serve-prod",
        {
            "name": "serve-prod",
            "location": location,
            "removeDefaultNodePool": True,
            "initialNodeCount": 1.0,
            "privateClusterConfig": {
                "enablePrivateNodes": True,
                "masterIpv4CidrBlock": "172.16.0.32/28",
            },
            "workloadIdentityConfig": {"workloadPool": "acme-ml-serving-prod.svc.id.goog"},
            "enableShieldedNodes": True,
            "releaseChannel": {"channel": "STABLE"},
            "datapathProvider": "ADVANCED_DATAPATH",
            "deletionProtection": True,
            "resourceLabels": dict(STACK_LABELS),
        },
        provider=GCP_PROVIDER,
    )


def node_pool(
    name: str = "gpu-l4", *, gpus: float = 1.0, autoscaling: dict[str, Any] | None = None
) -> dict[str, Any]:
    node_config: dict[str, Any] = {
        "machineType": "g2-standard-8" if gpus else "n2-standard-8",
        "serviceAccount": NODE_SA,
        "resourceLabels": dict(STACK_LABELS),
    }
    if gpus:
        node_config["guestAccelerators"] = [{"type": "nvidia-l4", "count": gpus}]
        node_config["taints"] = [
            {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}
        ]
    return resource(
        "gcp:container/nodePool:NodePool",
        name,
        {
            "cluster": "serve-prod",
            "location": "europe-west4",
            "nodeConfig": node_config,
            "autoscaling": autoscaling or {"totalMinNodeCount": 2.0, "totalMaxNodeCount": 6.0},
        },
        provider=GCP_PROVIDER,
    )


def iam_member(role: str = "roles/artifactregistry.reader") -> dict[str, Any]:
    return resource(
        "gcp:projects/iAMMember:IAMMember",
        "nodes-reader",
        {
            "project": "acme-ml-serving-prod",
            "role": role,
            "member": f"serviceAccount:{NODE_SA}",
        },
        provider=GCP_PROVIDER,
    )


def repository() -> dict[str, Any]:
    return resource(
        "gcp:artifactregistry/repository:Repository",
        "models",
        {"repositoryId": "serving-models", "format": "DOCKER", "labels": dict(STACK_LABELS)},
        provider=GCP_PROVIDER,
    )


def platform() -> list[dict[str, Any]]:
    return [cluster(), node_pool("cpu", gpus=0.0), node_pool(), iam_member(), repository()]


def compliant_stack() -> list[dict[str, Any]]:
    return [*platform(), *serving_app("resnet"), *serving_app("inception", gpu=True)]
