"""The serving platform of one stack: GKE cluster, pools, node identity, registry, provider.

A local stack declares no GCP resource: it targets a kubeconfig context and a local registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.config import LocalSpec
from infra.config.placement import PoolPlacement, placements
from infra.config.targets import GkeTarget
from infra.kube import gke_provider, local_provider
from infra.platform.cluster import Cluster, ClusterArgs
from infra.platform.identity import NodeIdentity, NodeIdentityArgs
from infra.platform.network import Network, NetworkArgs
from infra.platform.nodepool import NodePool, NodePoolArgs
from infra.platform.registry import Registry, RegistryArgs

LOCAL_LOCATION = "local"


@dataclass(frozen=True)
class PlatformArgs:
    target: GkeTarget | LocalSpec
    """A GKE cluster with its pools and registry, or an existing local cluster and registry."""


class Platform(pulumi.ComponentResource):
    """Everything the model services run on, plus the provider to reach it."""

    kube_provider: k8s.Provider
    """Kubernetes provider of the cluster; every workload is declared through it."""
    registry_url: pulumi.Output[str]
    """Docker host/path the model images are pushed to and pulled from."""
    cache_url: pulumi.Output[str] | None
    """Docker host/path of the build cache: its own repository (tags overwritable) on GKE,
    the local registry (which never locks tags) for a local stack."""
    pools: dict[str, PoolPlacement]
    """Scheduling constraints per pool name, for the workloads placed on each pool."""
    outputs: dict[str, pulumi.Output[Any]]
    """Stack outputs of the platform: cluster name, location, endpoint, registry, pools."""

    def __init__(
        self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servestack:platform:Platform", name, None, opts)
        target = args.target
        if isinstance(target, LocalSpec):
            self.pools = {}
            self._local(name, target)
        else:
            self.pools = placements(target.node_pools)
            self._gke(name, target)
        self.register_outputs(dict(self.outputs))

    def _local(self, name: str, local: LocalSpec) -> None:
        self.kube_provider = local_provider(
            f"{name}-k8s", local, pulumi.ResourceOptions(parent=self)
        )
        self.registry_url = pulumi.Output.from_input(local.registry)
        self.cache_url = self.registry_url
        self.outputs = {
            "clusterName": pulumi.Output.from_input(local.kubeconfig_context),
            "location": pulumi.Output.from_input(LOCAL_LOCATION),
            "endpoint": pulumi.Output.secret(""),
            "registryUrl": self.registry_url,
            "kubeconfig": pulumi.Output.secret(local.kubeconfig_path or ""),
            "nodePools": pulumi.Output.from_input({}),
        }

    def _gke(self, name: str, gke: GkeTarget) -> None:
        child = pulumi.ResourceOptions(parent=self)
        identity = NodeIdentity(f"{name}-nodes", NodeIdentityArgs(gke.cluster, gke.gcp), child)
        network = Network(f"{name}-net", NetworkArgs(gke.cluster, gke.gcp), child)
        registry = Registry(
            f"{name}-registry",
            RegistryArgs(
                gke.registry,
                gke.gcp,
                readers={"nodes": identity.member},
                build_cache=gke.build_cache,
            ),
            child,
        )
        cluster = Cluster(
            f"{name}-cluster",
            ClusterArgs(
                gke.cluster,
                gke.gcp,
                network=network.network,
                subnetwork=network.subnetwork,
                node_service_account=identity.email,
            ),
            pulumi.ResourceOptions(parent=self, depends_on=[identity]),
        )
        target = gke.pools
        pools = {
            pool.name: NodePool(
                f"{name}-{pool.name}",
                NodePoolArgs(
                    target,
                    pool,
                    cluster=cluster.name,
                    service_account=identity.email,
                    replacement=gke.replacement(pool),
                ),
                pulumi.ResourceOptions(parent=self, depends_on=[identity]),
            )
            for pool in gke.node_pools
        }
        # Workloads wait for the pools, not only the control plane.
        self.kube_provider, kubeconfig = gke_provider(
            f"{name}-k8s",
            project=gke.gcp.project,
            cluster_name=cluster.name,
            location=cluster.location,
            endpoint=cluster.endpoint,
            ca_certificate=cluster.ca_certificate,
            dns_endpoint=(
                cluster.dns_endpoint if gke.cluster.dns_endpoint.allow_external_traffic else None
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(pools.values())),
        )
        self.registry_url = registry.url
        self.cache_url = registry.cache_url
        self.outputs = {
            "clusterName": cluster.name,
            "location": cluster.location,
            "endpoint": cluster.endpoint,
            "registryUrl": self.registry_url,
            "kubeconfig": kubeconfig,
            # Pool name -> GKE pool name (which carries the settings hash).
            "nodePools": pulumi.Output.all(**{key: pool.name for key, pool in pools.items()}),
            # Pool name -> how a replacement proceeds and why (an outage is said here).
            "nodePoolReplacements": pulumi.Output.from_input(
                {
                    key: f"{pool.replacement.order}: {pool.replacement.reason}"
                    for key, pool in sorted(pools.items())
                }
            ),
        }
