"""GKE hardening: private nodes, Workload Identity, shielded nodes, release channel,
network policy, deletion protection, node service accounts and GPU pool taints."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policies.base import Config, Resource, resource_policy
from policies.values import UNKNOWN, as_dict, as_list, as_number, get, is_unknown
from policies.workloads import GPU_TAINT_KEY

CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
RELEASE_CHANNELS = {"RAPID", "REGULAR", "STABLE", "EXTENDED"}


def _flag_not(value: Any, wanted: bool) -> bool:
    """True when a known value differs from `wanted` (absent counts as not set)."""
    return value is not UNKNOWN and value is not wanted


def check_private_nodes(resource: Resource, config: Config) -> Iterator[str]:
    if resource.type != CLUSTER or not config.get("requirePrivateNodes", True):
        return
    if _flag_not(get(resource.props, "privateClusterConfig", "enablePrivateNodes"), True):
        yield "privateClusterConfig.enablePrivateNodes is not true (nodes get public IPs)"


def check_workload_identity(resource: Resource, config: Config) -> Iterator[str]:
    if resource.type != CLUSTER:
        return
    pool = get(resource.props, "workloadIdentityConfig", "workloadPool")
    if pool is not UNKNOWN and not (isinstance(pool, str) and pool.endswith(".svc.id.goog")):
        yield "workloadIdentityConfig.workloadPool is not set to <project>.svc.id.goog"


def check_shielded_nodes(resource: Resource, config: Config) -> Iterator[str]:
    if resource.type != CLUSTER:
        return
    if get(resource.props, "enableShieldedNodes") is False:
        yield "enableShieldedNodes is false"


def check_release_channel(resource: Resource, config: Config) -> Iterator[str]:
    if resource.type != CLUSTER:
        return
    channel = get(resource.props, "releaseChannel", "channel")
    if channel is not UNKNOWN and channel not in RELEASE_CHANNELS:
        yield f"releaseChannel.channel is {channel or 'unset'}; use one of REGULAR, STABLE, ..."


def check_network_policy(resource: Resource, config: Config) -> Iterator[str]:
    if resource.type != CLUSTER:
        return
    datapath = get(resource.props, "datapathProvider")
    enabled = get(resource.props, "networkPolicy", "enabled")
    if UNKNOWN in (datapath, enabled) or datapath == "ADVANCED_DATAPATH" or enabled is True:
        return
    yield "neither Dataplane V2 (datapathProvider ADVANCED_DATAPATH) nor networkPolicy is enabled"


def check_deletion_protection(resource: Resource, config: Config) -> Iterator[str]:
    if resource.type != CLUSTER or not config.get("requireDeletionProtection", False):
        return
    # The provider's default is true; only an explicit false switches it off.
    if get(resource.props, "deletionProtection") is False:
        yield "deletionProtection is false"


def _default_service_account(value: Any) -> bool:
    if value is None or value == "default":
        return True
    return isinstance(value, str) and value.endswith("-compute@developer.gserviceaccount.com")


def check_node_service_account(resource: Resource, config: Config) -> Iterator[str]:
    if resource.type == CLUSTER:
        removed = get(resource.props, "removeDefaultNodePool")
        if removed is True or removed is UNKNOWN or get(resource.props, "enableAutopilot"):
            return
        what = "default node pool"
    elif resource.type == NODE_POOL:
        what = "node pool"
    else:
        return
    account = get(resource.props, "nodeConfig", "serviceAccount")
    if account is not UNKNOWN and _default_service_account(account):
        yield f"{what} runs as the default compute service account ({account or 'unset'})"


def gpus_per_node(node_config: dict[str, Any]) -> float | None:
    """GPUs attached to each node; None when unknown."""
    total = 0.0
    accelerators = node_config.get("guestAccelerators")
    if accelerators is UNKNOWN:
        return None
    for accelerator in as_list(accelerators):
        count = as_dict(accelerator).get("count")
        if is_unknown(count):
            return None
        total += as_number(count) or 0.0
    return total


def check_gpu_taint(resource: Resource, config: Config) -> Iterator[str]:
    if resource.type != NODE_POOL:
        return
    node_config = as_dict(get(resource.props, "nodeConfig"))
    if not gpus_per_node(node_config):
        return
    taints = node_config.get("taints")
    if taints is UNKNOWN:
        return
    for taint in as_list(taints):
        item = as_dict(taint)
        if item.get("key") == GPU_TAINT_KEY and item.get("effect") in ("NO_SCHEDULE", UNKNOWN):
            return
    yield "GPU node pool lacks the nvidia.com/gpu NO_SCHEDULE taint"


POLICIES = [
    resource_policy(
        "gke-private-nodes",
        "GKE nodes have private IPs only.",
        check_private_nodes,
        {"requirePrivateNodes": {"type": "boolean", "default": True}},
    ),
    resource_policy(
        "gke-workload-identity",
        "Workload Identity is on, so pods never use the node's credentials.",
        check_workload_identity,
    ),
    resource_policy(
        "gke-shielded-nodes",
        "Shielded GKE nodes are not switched off.",
        check_shielded_nodes,
    ),
    resource_policy(
        "gke-release-channel",
        "The cluster is enrolled in a release channel, so upgrades are managed.",
        check_release_channel,
    ),
    resource_policy(
        "gke-network-policy",
        "NetworkPolicy is enforced (Dataplane V2 or the network policy add-on).",
        check_network_policy,
    ),
    resource_policy(
        "gke-deletion-protection",
        "The cluster is protected from deletion.",
        check_deletion_protection,
        {"requireDeletionProtection": {"type": "boolean", "default": False}},
    ),
    resource_policy(
        "node-pool-service-account",
        "Nodes run as a dedicated service account, not the default compute one.",
        check_node_service_account,
    ),
    resource_policy(
        "gpu-node-pool-taint",
        "GPU node pools carry the nvidia.com/gpu NoSchedule taint so only GPU pods land there.",
        check_gpu_taint,
    ),
]
