"""Node pools, CPU and GPU alike: autoscaling, upgrades, hardened nodes, GPU driver and taint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_gcp as gcp

from infra.config import NodePoolSpec, StackSpec
from infra.platform.network import gke_cluster
from infra.platform.nodeconfig import node_security_config
from infra.platform.placement import gpu_taint, pool_node_labels

# Blue-green drains the old pool one node at a time, pausing between batches.
BLUE_GREEN_BATCH_NODES = 1
BLUE_GREEN_BATCH_SOAK = "60s"


def autoscaling(pool: NodePoolSpec) -> dict[str, Any]:
    """Per-zone bounds (min/max_node_count) or totals across zones (total_*)."""
    scale = pool.autoscaling
    if scale.per_zone:
        bounds = {"min_node_count": scale.min, "max_node_count": scale.max}
    else:
        bounds = {"total_min_node_count": scale.min, "total_max_node_count": scale.max}
    return {**bounds, "location_policy": scale.location_policy}


def initial_node_count(pool: NodePoolSpec) -> int:
    """Per-zone start size: the per-zone minimum, or at most one node per zone for totals."""
    scale = pool.autoscaling
    return scale.min if scale.per_zone else min(scale.min, 1)


def upgrade_settings(pool: NodePoolSpec) -> dict[str, Any]:
    upgrade = pool.upgrade
    if upgrade.strategy == "BLUE_GREEN":
        return {
            "strategy": "BLUE_GREEN",
            "blue_green_settings": {
                "node_pool_soak_duration": f"{upgrade.blue_green_soak_seconds}s",
                "standard_rollout_policy": {
                    "batch_node_count": BLUE_GREEN_BATCH_NODES,
                    "batch_soak_duration": BLUE_GREEN_BATCH_SOAK,
                },
            },
        }
    return {
        "strategy": "SURGE",
        "max_surge": upgrade.max_surge,
        "max_unavailable": upgrade.max_unavailable,
    }


def guest_accelerators(pool: NodePoolSpec) -> list[dict[str, Any]]:
    """GKE-managed driver install and optional GPU sharing; empty for CPU pools."""
    gpu = pool.gpu
    if gpu is None:
        return []
    accelerator: dict[str, Any] = {
        "type": gpu.type,
        "count": gpu.count,
        "gpu_driver_installation_config": {"gpu_driver_version": gpu.driver_version},
    }
    if gpu.sharing is not None:
        accelerator["gpu_sharing_config"] = {
            "gpu_sharing_strategy": gpu.sharing.strategy,
            "max_shared_clients_per_gpu": gpu.sharing.max_shared_clients_per_gpu,
        }
    return [accelerator]


def node_config(pool: NodePoolSpec, spec: StackSpec, service_account: str | None) -> dict[str, Any]:
    """Machine, disk, hardened node settings, labels; GPU pools add accelerator and taint.

    `service_account` is the dedicated node account unless the pool names its own.
    """
    config: dict[str, Any] = {
        **node_security_config(),
        "machine_type": pool.machine_type,
        "disk_size_gb": pool.disk_size_gb,
        "disk_type": pool.disk_type,
        "spot": pool.spot,
        "gcfs_config": {"enabled": True},
        "gvnic": {"enabled": True},
        "service_account": pool.service_account or service_account,
        "labels": pool_node_labels(pool, spec.labels.as_dict()),
        "resource_labels": spec.labels.as_dict(),
        "tags": [f"{gke_cluster(spec).name}-node", pool.name],
    }
    if pool.gpu is not None:
        config["guest_accelerators"] = guest_accelerators(pool)
        config["taints"] = [gpu_taint()]
    if config["service_account"] is None:
        del config["service_account"]
    return config


def node_pool_args(
    pool: NodePoolSpec, spec: StackSpec, service_account: str | None = None
) -> dict[str, Any]:
    """Every node pool input computable from the spec (the cluster name is wired later)."""
    cluster = gke_cluster(spec)
    return {
        "name": pool.name,
        "project": spec.gcp_project,
        "location": cluster.location,
        "initial_node_count": initial_node_count(pool),
        "autoscaling": autoscaling(pool),
        "management": {"auto_repair": True, "auto_upgrade": True},
        "upgrade_settings": upgrade_settings(pool),
        "node_config": node_config(pool, spec, service_account),
    }


def node_pool_options() -> pulumi.ResourceOptions:
    """The autoscaler owns the node count; a changed start size must not replace the pool."""
    return pulumi.ResourceOptions(
        ignore_changes=["initialNodeCount"],
        custom_timeouts=pulumi.CustomTimeouts(create="30m", update="60m", delete="30m"),
    )


@dataclass(frozen=True)
class NodePoolArgs:
    spec: StackSpec
    pool: NodePoolSpec
    cluster: pulumi.Input[str]
    service_account: pulumi.Input[str]


class NodePool(pulumi.ComponentResource):
    """One node pool of the cluster, from one `nodePools` entry of the stack file."""

    name: pulumi.Output[str]

    def __init__(
        self, name: str, args: NodePoolArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servestack:platform:NodePool", name, None, opts)
        values = node_pool_args(args.pool, args.spec)
        if args.pool.service_account is None:
            values["node_config"]["service_account"] = args.service_account
        pool = gcp.container.NodePool(
            f"{name}-pool",
            gcp.container.NodePoolArgs(cluster=args.cluster, **values),
            pulumi.ResourceOptions.merge(node_pool_options(), pulumi.ResourceOptions(parent=self)),
        )
        self.resource = pool
        self.name = pool.name
        self.register_outputs({"name": self.name})
