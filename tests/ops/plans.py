"""Hand-made plan documents in the shape `servestack preview --offline --json` writes."""

from __future__ import annotations

import copy
from typing import Any

PROJECT = "servestack"


def urn(stack: str, rtype: str, name: str, parents: tuple[str, ...] = ()) -> str:
    chain = "$".join((*parents, rtype))
    return f"urn:pulumi:{stack}::{PROJECT}::{chain}::{name}"


def deployment(stack: str, image: str, replicas: int = 2) -> dict[str, Any]:
    return {
        "urn": urn(
            stack, "kubernetes:apps/v1:Deployment", "tiny-stable", ("servestack:ModelService",)
        ),
        "type": "kubernetes:apps/v1:Deployment",
        "name": "tiny-stable",
        "parent": urn(stack, "servestack:ModelService", "tiny"),
        "provider": f"urn:pulumi:{stack}::{PROJECT}::pulumi:providers:kubernetes::k8s::id",
        "inputs": {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "tiny-stable", "namespace": "serving", "labels": {"env": stack}},
            "spec": {
                "replicas": float(replicas),
                "selector": {"matchLabels": {"app.kubernetes.io/instance": "tiny-stable"}},
                "template": {
                    "spec": {
                        "containers": [
                            {
                                "name": "serving",
                                "image": image,
                                "ports": [{"containerPort": 8500.0}],
                            }
                        ]
                    }
                },
            },
        },
        "options": {"protect": False, "replaceOnChanges": []},
    }


def node_pool(
    stack: str, taint_value: str = "present", machine: str = "n1-standard-8"
) -> dict[str, Any]:
    return {
        "urn": urn(
            stack, "gcp:container/nodePool:NodePool", "serve-gpu-t4", ("servestack:Platform",)
        ),
        "type": "gcp:container/nodePool:NodePool",
        "name": "serve-gpu-t4",
        "parent": urn(stack, "servestack:Platform", "serve"),
        "provider": "",
        "inputs": {
            "cluster": "serve-dev",
            "location": "europe-west4-a",
            "nodeConfig": {
                "machineType": machine,
                "spot": True,
                "guestAccelerators": [{"type": "nvidia-tesla-t4", "count": 1.0}],
                "taints": [
                    {"key": "nvidia.com/gpu", "value": taint_value, "effect": "NO_SCHEDULE"}
                ],
                "labels": {"servestack.io/accelerator": "nvidia-tesla-t4"},
            },
        },
        "options": {},
    }


def namespace(stack: str) -> dict[str, Any]:
    return {
        "urn": urn(
            stack, "kubernetes:core/v1:Namespace", "serving", ("servestack:ServingNamespace",)
        ),
        "type": "kubernetes:core/v1:Namespace",
        "name": "serving",
        "parent": "",
        "provider": "",
        "inputs": {"metadata": {"name": "serving"}},
        "options": {},
    }


def plan(
    stack: str,
    *resources: dict[str, Any],
    policies: list[dict[str, str]] | None = None,
    outputs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "project": PROJECT,
        "stack": stack,
        "resources": [copy.deepcopy(r) for r in resources],
        "outputs": outputs or {},
        "policies": policies or [],
    }
