"""ModelService: every Kubernetes object of one model server, wired from the pure builders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.config import ServerSpec
from infra.config.placement import PoolPlacement
from infra.config.targets import ServingTarget
from infra.serving import gateway, objects
from infra.serving.labels import Track
from infra.serving.layout import GRPC_PORT, REST_PORT
from infra.serving.timeouts import pulumi_duration, rollout_timeout_seconds


@dataclass(frozen=True)
class ModelServiceArgs:
    target: ServingTarget
    """What every server of the stack shares: namespace, labels, exposure, monitoring."""
    server: ServerSpec
    """The server's own `servers` entry."""
    image_ref: pulumi.Input[str]
    """Digest-pinned image of the stable track."""
    canary_image_ref: pulumi.Input[str] | None
    """Digest-pinned image of the canary track; None: the server has no canary."""
    placement: PoolPlacement | None
    """Node pool the replicas are scheduled onto; None on a local stack, which has no pools."""
    namespace: pulumi.Input[str]
    """Namespace the objects go into: the `ServingNamespace` output, so they wait for it."""


def _meta(manifest: dict[str, Any]) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(**manifest["metadata"])


class ModelService(pulumi.ComponentResource):
    """A TF Serving server: identity, stable (+ canary) Deployment, Services, scaling, policy."""

    service_name: pulumi.Output[str]
    """Name of the in-cluster Service in front of both tracks."""
    deployment_names: list[pulumi.Output[str]]
    """Names of the Deployments: the stable track, then the canary if there is one."""
    endpoints: pulumi.Output[dict[str, str]]
    """Where clients reach the server: `grpc` host:port and `rest` URL."""

    def __init__(
        self, name: str, args: ModelServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servestack:serving:ModelService", name, None, opts)
        target, server, ns = args.target, args.server, args.namespace
        child = pulumi.ResourceOptions(parent=self)

        sa = objects.service_account(target, server, ns)
        account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            k8s.core.v1.ServiceAccountInitArgs(
                metadata=_meta(sa),
                automount_service_account_token=sa["automountServiceAccountToken"],
            ),
            opts=child,
        )

        rollout = pulumi_duration(rollout_timeout_seconds(server))
        workload_opts = pulumi.ResourceOptions(
            parent=self,
            depends_on=[account],
            custom_timeouts=pulumi.CustomTimeouts(create=rollout, update=rollout),
        )
        tracks: list[tuple[Track, pulumi.Input[str]]] = [("stable", args.image_ref)]
        if server.canary is not None and args.canary_image_ref is not None:
            tracks.append(("canary", args.canary_image_ref))
        self.deployment_names = []
        for track, image in tracks:
            manifest = objects.deployment(
                target, server, namespace=ns, image=image, track=track, placement=args.placement
            )
            resource = k8s.apps.v1.Deployment(
                name if track == "stable" else f"{name}-canary",
                k8s.apps.v1.DeploymentInitArgs(metadata=_meta(manifest), spec=manifest["spec"]),
                opts=workload_opts,
            )
            self.deployment_names.append(resource.metadata.apply(lambda m: str(m.name)))

        svc = objects.cluster_service(target, server, ns)
        service = k8s.core.v1.Service(
            f"{name}-svc",
            k8s.core.v1.ServiceInitArgs(metadata=_meta(svc), spec=svc["spec"]),
            opts=child,
        )
        self.service_name = service.metadata.apply(lambda m: str(m.name))

        lb = objects.load_balancer_service(target, server, ns)
        balancer = None
        if lb is not None:
            balancer = k8s.core.v1.Service(
                f"{name}-lb",
                k8s.core.v1.ServiceInitArgs(metadata=_meta(lb), spec=lb["spec"]),
                opts=child,
            )

        node_port = objects.node_port_service(target, server, ns)
        if node_port is not None:
            k8s.core.v1.Service(
                f"{name}-nodeport",
                k8s.core.v1.ServiceInitArgs(metadata=_meta(node_port), spec=node_port["spec"]),
                opts=child,
            )

        for track, _ in tracks:
            hpa = objects.autoscaler(target, server, ns, track)
            k8s.autoscaling.v2.HorizontalPodAutoscaler(
                f"{name}-hpa" if track == "stable" else f"{name}-canary-hpa",
                k8s.autoscaling.v2.HorizontalPodAutoscalerInitArgs(
                    metadata=_meta(hpa), spec=hpa["spec"]
                ),
                opts=child,
            )

        self._gateway(name, target, server, ns, child)

        pdb = objects.disruption_budget(target, server, ns)
        if pdb is not None:
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-pdb",
                k8s.policy.v1.PodDisruptionBudgetInitArgs(metadata=_meta(pdb), spec=pdb["spec"]),
                opts=child,
            )

        policy = objects.network_policy(target, server, ns)
        k8s.networking.v1.NetworkPolicy(
            f"{name}-allow",
            k8s.networking.v1.NetworkPolicyInitArgs(metadata=_meta(policy), spec=policy["spec"]),
            opts=child,
        )

        monitor = objects.pod_monitoring(target, server, ns)
        if monitor is not None:
            k8s.apiextensions.CustomResource(
                f"{name}-monitoring",
                api_version=monitor["apiVersion"],
                kind=monitor["kind"],
                metadata=_meta(monitor),
                spec=monitor["spec"],
                opts=child,
            )

        self.endpoints = _endpoints(self.service_name, ns, balancer)
        self.register_outputs(
            {
                "serviceName": self.service_name,
                "deployments": self.deployment_names,
                "endpoints": self.endpoints,
            }
        )

    def _gateway(
        self,
        name: str,
        target: ServingTarget,
        server: ServerSpec,
        ns: pulumi.Input[str],
        child: pulumi.ResourceOptions,
    ) -> None:
        """The REST Gateway path on GKE: track Services, health checks, Gateway, route."""
        for manifest in gateway.objects(target, server, ns):
            kind, suffix = manifest["kind"], manifest["metadata"]["name"]
            if kind == "Service":
                k8s.core.v1.Service(
                    f"{name}-{suffix.removeprefix(server.name + '-')}-svc",
                    k8s.core.v1.ServiceInitArgs(metadata=_meta(manifest), spec=manifest["spec"]),
                    opts=child,
                )
                continue
            k8s.apiextensions.CustomResource(
                f"{name}-{GATEWAY_RESOURCE_SUFFIX[kind]}"
                + ("" if suffix == server.name else f"-{suffix.removeprefix(server.name + '-')}"),
                api_version=manifest["apiVersion"],
                kind=kind,
                metadata=_meta(manifest),
                spec=manifest["spec"],
                opts=child,
            )


# Resource-name suffix per Gateway-path kind, e.g. `resnet-route`, `resnet-hc-canary`.
GATEWAY_RESOURCE_SUFFIX = {"Gateway": "gateway", "HTTPRoute": "route", "HealthCheckPolicy": "hc"}


def _endpoints(
    service_name: pulumi.Output[str],
    namespace: pulumi.Input[str],
    balancer: k8s.core.v1.Service | None,
) -> pulumi.Output[dict[str, str]]:
    """Where clients (and `servestack smoke`) reach the server: the load balancer's address
    once it has one, else the in-cluster DNS name (reachable in-cluster or by port-forward)."""
    ingress_ip: pulumi.Input[str | None] = None
    if balancer is not None:
        ingress_ip = balancer.status.apply(_first_ingress_ip)

    def build(parts: list[Any]) -> dict[str, str]:
        name, ns, ip = parts
        host = str(ip) if ip else f"{name}.{ns}.svc.cluster.local"
        return {"grpc": f"{host}:{GRPC_PORT}", "rest": f"http://{host}:{REST_PORT}"}

    return pulumi.Output.all(service_name, namespace, ingress_ip).apply(build)


def _first_ingress_ip(status: Any) -> str | None:
    ingress = getattr(getattr(status, "load_balancer", None), "ingress", None) or []
    return str(ingress[0].ip) if ingress and getattr(ingress[0], "ip", None) else None
