"""Node pools, CPU and GPU alike: autoscaling, upgrades, hardened nodes, GPU driver and taint.

A pool's GKE name is `<pool name>-<hash>`, the hash (6 hex digits of a SHA-256) covering the
settings that need fresh nodes, in the way terraform-google-kubernetes-engine names pools
from `random_id` keepers with `create_before_destroy`. The provider changes some of these on
the live pool (machine type and disk by recreating its nodes in place, taints and labels on
running nodes, where a new NoSchedule taint leaves the pods already there) and replaces the
pool for the rest (ForceNew), which a pool with a fixed name cannot do create-before-delete:
the new name collides with the old. With the hash, a change renames the pool and `servestack
diff` shows the replacement. Which order the replacement takes is chosen per pool and set
explicitly (infra/config/replacement.py): the Terraform bridge defaults an explicitly named,
autonameable resource to delete-before-create (pulumi/pulumi-terraform#465), and only an
explicit `delete_before_replace=False` (pulumi/pulumi#3118) keeps the old pool serving until
the new one is up. Create-before-delete: pods select nodes by the stable `servestack.io/pool`
label (placement.py), so Deployments do not change and evicted pods reschedule onto the new
pool. GKE drains a deleted pool's nodes within their termination grace periods but does not
honour PodDisruptionBudgets while doing so, and the new pool starts at its autoscaling
minimum: run enough replicas (and a high enough pool minimum) for the burst. A GPU pool
whose overlap the GPU budget cannot cover is replaced delete-before-create: its pods are
Pending until the new nodes are up, and the plan says so.

Hashed settings (`FRESH_NODE_SETTINGS` plus `SELECTED_NODE_LABELS`): machine type, disk
size and type, image type, spot, GPU type/count/driver/sharing (`guest_accelerators`),
taints, node service account, Shielded VM and workload metadata settings, the remaining
ForceNew node settings servestack sets (metadata, OAuth scopes, image streaming, gVNIC), and
the node labels workloads select on (`servestack.io/pool`, `servestack.io/accelerator`).
Left out, because they update in place without affecting placement: stack and pool labels,
resource labels, network tags, autoscaling bounds and upgrade settings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict

import pulumi
import pulumi_gcp as gcp

from infra.config import NodePoolSpec
from infra.config.placement import SELECTED_NODE_LABELS, pool_node_labels
from infra.config.replacement import PoolReplacement, choose_replacement
from infra.config.targets import PoolTarget
from infra.platform.identity import node_account_id
from infra.platform.nodeconfig import node_security_config
from infra.platform.placement import pool_taints

SETTINGS_HASH_LENGTH = 6
# node_config keys whose change needs fresh nodes (see the module docstring).
FRESH_NODE_SETTINGS = (
    "disk_size_gb",
    "disk_type",
    "gcfs_config",
    "guest_accelerators",
    "gvnic",
    "image_type",
    "machine_type",
    "metadata",
    "oauth_scopes",
    "service_account",
    "shielded_instance_config",
    "spot",
    "taints",
    "workload_metadata_config",
)

# Blue-green drains the old pool one node at a time, pausing between batches.
BLUE_GREEN_BATCH_NODES = 1
BLUE_GREEN_BATCH_SOAK = "60s"


def autoscaling(pool: NodePoolSpec) -> gcp.container.NodePoolAutoscalingArgsDict:
    """Per-zone bounds (min/max_node_count) or totals across zones (total_*)."""
    scale = pool.autoscaling
    if scale.per_zone:
        return {
            "min_node_count": scale.min,
            "max_node_count": scale.max,
            "location_policy": scale.location_policy,
        }
    return {
        "total_min_node_count": scale.min,
        "total_max_node_count": scale.max,
        "location_policy": scale.location_policy,
    }


def initial_node_count(pool: NodePoolSpec) -> int:
    """Per-zone start size: the per-zone minimum, or at most one node per zone for totals."""
    scale = pool.autoscaling
    return scale.min if scale.per_zone else min(scale.min, 1)


def upgrade_settings(pool: NodePoolSpec) -> gcp.container.NodePoolUpgradeSettingsArgsDict:
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


def guest_accelerators(
    pool: NodePoolSpec,
) -> list[gcp.container.NodePoolNodeConfigGuestAcceleratorArgsDict]:
    """GKE-managed driver install and optional GPU sharing; empty for CPU pools."""
    gpu = pool.gpu
    if gpu is None:
        return []
    accelerator: gcp.container.NodePoolNodeConfigGuestAcceleratorArgsDict = {
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


def node_config(
    pool: NodePoolSpec, target: PoolTarget, service_account: str | None
) -> gcp.container.NodePoolNodeConfigArgsDict:
    """Machine, disk, hardened node settings, labels, taints; GPU pools add the accelerator.

    `service_account` is the dedicated node account unless the pool names its own.
    """
    config = node_security_config(target.workload_identity)
    config.update(
        {
            "machine_type": pool.machine_type,
            "disk_size_gb": pool.disk_size_gb,
            "disk_type": pool.disk_type,
            "spot": pool.spot,
            "gcfs_config": {"enabled": True},
            "gvnic": {"enabled": True},
        }
    )
    account = pool.service_account or service_account
    if account is not None:
        config["service_account"] = account
    config.update(
        {
            "labels": pool_node_labels(pool, target.labels.as_dict()),
            "resource_labels": target.labels.as_dict(),
            "tags": [f"{target.cluster_name}-node", pool.name],
        }
    )
    if pool.gpu is not None:
        config["guest_accelerators"] = guest_accelerators(pool)
    if taints := pool_taints(pool):
        config["taints"] = taints
    return config


def default_node_account(target: PoolTarget) -> str:
    """E-mail of the dedicated node account (identity.py), known before it exists."""
    account = node_account_id(target.cluster_name)
    return f"{account}@{target.project}.iam.gserviceaccount.com"


def fresh_node_settings(pool: NodePoolSpec, target: PoolTarget) -> dict[str, object]:
    """The pool's settings that need fresh nodes: the keepers of its GKE name."""
    config: Mapping[str, object] = node_config(pool, target, default_node_account(target))
    settings = {key: config[key] for key in FRESH_NODE_SETTINGS if key in config}
    labels = pool_node_labels(pool, target.labels.as_dict())
    settings["labels"] = {
        key: value for key, value in labels.items() if key in SELECTED_NODE_LABELS
    }
    return settings


def settings_hash(settings: Mapping[str, object]) -> str:
    """Short, deterministic digest of plain data (canonical JSON, SHA-256)."""
    text = json.dumps(settings, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:SETTINGS_HASH_LENGTH]


def gke_pool_name(pool: NodePoolSpec, target: PoolTarget) -> str:
    """`<pool name>-<settings hash>`: changes exactly when the pool needs fresh nodes."""
    return f"{pool.name}-{settings_hash(fresh_node_settings(pool, target))}"


class NodePoolInputs(TypedDict):
    """The inputs of a `gcp.container.NodePool` computed from the spec (all but `cluster`)."""

    name: str
    project: str
    location: str
    initial_node_count: int
    autoscaling: gcp.container.NodePoolAutoscalingArgsDict
    management: gcp.container.NodePoolManagementArgsDict
    upgrade_settings: gcp.container.NodePoolUpgradeSettingsArgsDict
    node_config: gcp.container.NodePoolNodeConfigArgsDict


def node_pool_args(
    pool: NodePoolSpec, target: PoolTarget, service_account: str | None = None
) -> NodePoolInputs:
    """Every node pool input computable from the spec (the cluster name is wired later)."""
    return {
        "name": gke_pool_name(pool, target),
        "project": target.project,
        "location": target.location,
        "initial_node_count": initial_node_count(pool),
        "autoscaling": autoscaling(pool),
        "management": {"auto_repair": True, "auto_upgrade": True},
        "upgrade_settings": upgrade_settings(pool),
        "node_config": node_config(pool, target, service_account),
    }


def node_pool_options(replacement: PoolReplacement) -> pulumi.ResourceOptions:
    """The autoscaler owns the node count; a changed start size must not replace the pool.

    The replacement order is always explicit, never the bridge's default (module docstring).
    """
    return pulumi.ResourceOptions(
        delete_before_replace=replacement.delete_before_replace,
        ignore_changes=["initialNodeCount"],
        custom_timeouts=pulumi.CustomTimeouts(create="30m", update="60m", delete="30m"),
    )


@dataclass(frozen=True)
class NodePoolArgs:
    target: PoolTarget
    """The cluster the pool joins: project, location, name, labels, Workload Identity."""
    pool: NodePoolSpec
    """The pool's own `nodePools` entry."""
    cluster: pulumi.Input[str]
    """Name of the cluster resource; wired as an Output so the pool waits for it."""
    service_account: pulumi.Input[str]
    """E-mail of the dedicated node account, used unless the pool names its own."""
    replacement: PoolReplacement | None = None
    """Replacement order and reason; None: chosen with no GPU budget to spare."""

    def chosen_replacement(self) -> PoolReplacement:
        if self.replacement is not None:
            return self.replacement
        regional = not self.target.location.count("-") > 1
        return choose_replacement(self.pool, (self.pool,), 0, regional)


class NodePool(pulumi.ComponentResource):
    """One node pool of the cluster, from one `nodePools` entry of the stack file."""

    resource: gcp.container.NodePool
    """The node pool resource itself, for dependencies and further wiring."""
    name: pulumi.Output[str]
    """GKE name of the pool: `<pool name>-<settings hash>`."""
    replacement: PoolReplacement
    """How a replacement of the pool proceeds, and why."""

    def __init__(
        self, name: str, args: NodePoolArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servestack:platform:NodePool", name, None, opts)
        values = node_pool_args(args.pool, args.target)
        if args.pool.service_account is None:
            values["node_config"]["service_account"] = args.service_account
        pool = gcp.container.NodePool(
            f"{name}-pool",
            pulumi.ResourceOptions.merge(
                node_pool_options(args.chosen_replacement()), pulumi.ResourceOptions(parent=self)
            ),
            cluster=args.cluster,
            **values,
        )
        self.resource = pool
        self.name = pool.name
        self.replacement = args.chosen_replacement()
        self.register_outputs({"name": self.name})
