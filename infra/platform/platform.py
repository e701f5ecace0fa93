"""The serving platform of one stack: GKE cluster, pools, node identity, registry, provider.

A local stack declares no GCP resource: it targets a kubeconfig context and a local registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.config import LocalSpec, StackSpec
from infra.kube import gke_provider, local_provider
from infra.platform.cluster import Cluster, ClusterArgs
from infra.platform.identity import NodeIdentity, NodeIdentityArgs
from infra.platform.network import Network, NetworkArgs
from infra.platform.nodepool import NodePool, NodePoolArgs
from infra.platform.placement import PoolPlacement, pool_placement
from infra.platform.registry import Registry, RegistryArgs

LOCAL_LOCATION = "local"


def placements(spec: StackSpec) -> dict[str, PoolPlacement]:
    """Scheduling constraints per pool name, in stack-file order."""
    return {pool.name: pool_placement(pool) for pool in spec.node_pools}


@dataclass(frozen=True)
class PlatformArgs:
    spec: StackSpec


class Platform(pulumi.ComponentResource):
    """Everything the model services run on, plus the provider to reach it."""

    kube_provider: k8s.Provider
    registry_url: pulumi.Output[str]
    pools: dict[str, PoolPlacement]
    outputs: dict[str, pulumi.Output[Any]]

    def __init__(
        self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servestack:platform:Platform", name, None, opts)
        spec = args.spec
        self.pools = placements(spec)
        if spec.local is not None:
            self._local(name, spec.local)
        else:
            self._gke(name, spec)
        self.register_outputs(dict(self.outputs))

    def _local(self, name: str, local: LocalSpec) -> None:
        self.kube_provider = local_provider(
            f"{name}-k8s", local, pulumi.ResourceOptions(parent=self)
        )
        self.registry_url = pulumi.Output.from_input(local.registry)
        self.outputs = {
            "clusterName": pulumi.Output.from_input(local.kubeconfig_context),
            "location": pulumi.Output.from_input(LOCAL_LOCATION),
            "endpoint": pulumi.Output.secret(""),
            "registryUrl": self.registry_url,
            "kubeconfig": pulumi.Output.secret(local.kubeconfig_path or ""),
            "nodePools": pulumi.Output.from_input({}),
        }

    def _gke(self, name: str, spec: StackSpec) -> None:
        child = pulumi.ResourceOptions(parent=self)
        identity = NodeIdentity(f"{name}-nodes", NodeIdentityArgs(spec), child)
        network = Network(f"{name}-net", NetworkArgs(spec), child)
        registry = Registry(
            f"{name}-registry", RegistryArgs(spec, readers={"nodes": identity.member}), child
        )
        cluster = Cluster(
            f"{name}-cluster",
            ClusterArgs(
                spec,
                network=network.network,
                subnetwork=network.subnetwork,
                node_service_account=identity.email,
            ),
            pulumi.ResourceOptions(parent=self, depends_on=[identity]),
        )
        pools = {
            pool.name: NodePool(
                f"{name}-{pool.name}",
                NodePoolArgs(spec, pool, cluster=cluster.name, service_account=identity.email),
                pulumi.ResourceOptions(parent=self, depends_on=[identity]),
            )
            for pool in spec.node_pools
        }
        project = spec.gcp_project or ""
        # Workloads wait for the pools, not only the control plane.
        self.kube_provider, kubeconfig = gke_provider(
            f"{name}-k8s",
            project=project,
            cluster_name=cluster.name,
            location=cluster.location,
            endpoint=cluster.endpoint,
            ca_certificate=cluster.ca_certificate,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(pools.values())),
        )
        self.registry_url = registry.url
        self.outputs = {
            "clusterName": cluster.name,
            "location": cluster.location,
            "endpoint": cluster.endpoint,
            "registryUrl": self.registry_url,
            "kubeconfig": kubeconfig,
            # Pool name -> GKE pool name (which carries the settings hash).
            "nodePools": pulumi.Output.all(**{key: pool.name for key, pool in pools.items()}),
        }
