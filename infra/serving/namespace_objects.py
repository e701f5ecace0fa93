"""The serving namespace and its default-deny ingress policy, as manifests."""

from __future__ import annotations

from typing import Any

from infra.config.targets import ServingTarget
from infra.serving.labels import namespace_labels

POD_SECURITY = "pod-security.kubernetes.io"


def namespace(target: ServingTarget) -> dict[str, Any]:
    """Pod Security `restricted`, enforced: the cluster refuses any pod weaker than ours."""
    labels = {
        **namespace_labels(target),
        f"{POD_SECURITY}/enforce": "restricted",
        f"{POD_SECURITY}/enforce-version": "latest",
        f"{POD_SECURITY}/audit": "restricted",
        f"{POD_SECURITY}/warn": "restricted",
    }
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": target.namespace, "labels": dict(sorted(labels.items()))},
    }


def default_deny(target: ServingTarget, namespace_name: object) -> dict[str, Any]:
    """No ingress to any pod of the namespace unless a server's own policy allows it."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": "default-deny-ingress",
            "namespace": namespace_name,
            "labels": namespace_labels(target),
        },
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    }
