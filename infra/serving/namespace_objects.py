"""The serving namespace and its default-deny ingress policy, as manifests."""

from __future__ import annotations

from typing import Any

from infra.config import StackSpec
from infra.serving.labels import namespace_labels

POD_SECURITY = "pod-security.kubernetes.io"


def namespace(spec: StackSpec) -> dict[str, Any]:
    """Pod Security `restricted`, enforced: the cluster refuses any pod weaker than ours."""
    labels = {
        **namespace_labels(spec),
        f"{POD_SECURITY}/enforce": "restricted",
        f"{POD_SECURITY}/enforce-version": "latest",
        f"{POD_SECURITY}/audit": "restricted",
        f"{POD_SECURITY}/warn": "restricted",
    }
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": spec.serving.namespace, "labels": dict(sorted(labels.items()))},
    }


def default_deny(spec: StackSpec, namespace_name: object) -> dict[str, Any]:
    """No ingress to any pod of the namespace unless a server's own policy allows it."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": "default-deny-ingress",
            "namespace": namespace_name,
            "labels": namespace_labels(spec),
        },
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    }
