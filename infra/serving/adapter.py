"""MetricsAdapter: the custom-metrics-stackdriver-adapter of a stack, wired from its builders.

Declared only when some server scales on `autoscaling.metric` (infra/config/metrics.py):
every Kubernetes object of infra/serving/metrics_adapter.py, after the adapter's Google
identity (infra/platform/adapter_identity.py) exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.serving import metrics_adapter
from infra.serving.metrics_adapter import AdapterTarget


@dataclass(frozen=True)
class MetricsAdapterArgs:
    target: AdapterTarget
    """Project, cluster name, labels and image of the adapter."""
    kube_provider: pulumi.ProviderResource | None
    """The cluster's Kubernetes provider; None: the default one."""
    depends_on: tuple[pulumi.Resource, ...] = ()
    """What the objects wait for: the Workload Identity grant the adapter's pods use."""


# Kind -> (class, fields besides apiVersion/kind/metadata) of every adapter object.
_KINDS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "Namespace": (k8s.core.v1.Namespace, ()),
    "ServiceAccount": (k8s.core.v1.ServiceAccount, ("automountServiceAccountToken",)),
    "ClusterRole": (k8s.rbac.v1.ClusterRole, ("rules",)),
    "ClusterRoleBinding": (k8s.rbac.v1.ClusterRoleBinding, ("roleRef", "subjects")),
    "RoleBinding": (k8s.rbac.v1.RoleBinding, ("roleRef", "subjects")),
    "Deployment": (k8s.apps.v1.Deployment, ("spec",)),
    "Service": (k8s.core.v1.Service, ("spec",)),
    "NetworkPolicy": (k8s.networking.v1.NetworkPolicy, ("spec",)),
    "APIService": (k8s.apiregistration.v1.APIService, ("spec",)),
}
_ARG_NAMES = {
    "automountServiceAccountToken": "automount_service_account_token",
    "roleRef": "role_ref",
}


def resource_name(name: str, manifest: dict[str, Any]) -> str:
    """`<component>-<kind>-<object>`, unique across the adapter's objects."""
    kind = str(manifest["kind"]).lower()
    obj = str(manifest["metadata"]["name"]).replace(":", "-").replace(".", "-")
    return f"{name}-{kind}-{obj}"


class MetricsAdapter(pulumi.ComponentResource):
    """The metrics APIs the HPAs of custom-metric servers read, served from Managed Prometheus."""

    def __init__(
        self, name: str, args: MetricsAdapterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servestack:serving:MetricsAdapter", name, None, opts)
        target = args.target
        kube = pulumi.ResourceOptions(
            parent=self, provider=args.kube_provider, depends_on=list(args.depends_on)
        )
        for manifest in metrics_adapter.objects(target):
            cls, fields = _KINDS[manifest["kind"]]
            inputs = {_ARG_NAMES.get(f, f): manifest[f] for f in fields}
            cls(
                resource_name(name, manifest),
                metadata=manifest["metadata"],
                opts=kube,
                **inputs,
            )
        self.register_outputs({})
