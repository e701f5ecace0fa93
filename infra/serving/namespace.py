"""ServingNamespace: the stack's serving namespace and its default-deny ingress policy."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra.config.targets import ServingTarget
from infra.serving import namespace_objects


@dataclass(frozen=True)
class ServingNamespaceArgs:
    target: ServingTarget
    """Namespace name and the labels of the namespace-wide objects."""


class ServingNamespace(pulumi.ComponentResource):
    """One namespace per stack (never `default`), deny-by-default for ingress."""

    name: pulumi.Output[str]
    """Name of the namespace, resolved once it exists; the servers are declared into it."""

    def __init__(
        self, name: str, args: ServingNamespaceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servestack:serving:ServingNamespace", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        manifest = namespace_objects.namespace(args.target)
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            k8s.core.v1.NamespaceInitArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(**manifest["metadata"]),
            ),
            opts=child,
        )
        self.name = namespace.metadata.apply(lambda meta: str(meta.name))
        deny = namespace_objects.default_deny(args.target, self.name)
        k8s.networking.v1.NetworkPolicy(
            f"{name}-default-deny",
            k8s.networking.v1.NetworkPolicyInitArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(**deny["metadata"]),
                spec=deny["spec"],
            ),
            opts=child,
        )
        self.register_outputs({"name": self.name})
