"""The GKE cluster: private, VPC-native, Workload Identity, Dataplane V2, hardened defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_gcp as gcp

from infra.config import ClusterSpec
from infra.config.targets import GcpTarget
from infra.platform.network import ip_allocation_policy
from infra.platform.nodeconfig import node_security_config

# Control-plane timeouts of a regional create/upgrade exceed the provider's defaults.
CLUSTER_TIMEOUTS: dict[str, str] = {"create": "45m", "update": "60m", "delete": "45m"}


def workload_pool(project: str) -> str:
    return f"{project}.svc.id.goog"


def maintenance_policy(cluster: ClusterSpec) -> dict[str, Any]:
    """A recurring window (RRULE) plus named exclusions with their scope."""
    maintenance = cluster.maintenance
    return {
        "recurring_window": {
            "start_time": maintenance.start,
            "end_time": maintenance.end,
            "recurrence": maintenance.recurrence,
        },
        "maintenance_exclusions": [
            {
                "exclusion_name": exclusion.name,
                "start_time": exclusion.start,
                "end_time": exclusion.end,
                "exclusion_options": {"scope": exclusion.scope},
            }
            for exclusion in maintenance.exclusions
        ],
    }


def private_cluster_config(cluster: ClusterSpec) -> dict[str, Any] | None:
    """Nodes without public IPs; None when the stack turns private nodes off."""
    private = cluster.private
    if not private.enabled:
        return None
    return {
        "enable_private_nodes": True,
        "enable_private_endpoint": private.private_endpoint,
        "master_ipv4_cidr_block": private.master_cidr,
        "master_global_access_config": {"enabled": False},
    }


def master_authorized_networks_config(cluster: ClusterSpec) -> dict[str, Any] | None:
    """Only the listed CIDRs reach the control plane; Google's public ranges do not.

    None when the stack lists no network: an empty allow-list would lock everyone out.
    """
    networks = cluster.master_authorized_networks
    if not networks:
        return None
    return {
        "cidr_blocks": [
            {"cidr_block": network.cidr, "display_name": network.name} for network in networks
        ],
        "gcp_public_cidrs_access_enabled": False,
    }


def network_policy_settings(cluster: ClusterSpec) -> dict[str, Any]:
    """Dataplane V2 enforces NetworkPolicy itself; without it, Calico does, unless the stack
    turns enforcement off (the policy pack's gke-network-policy rule flags that)."""
    if cluster.dataplane_v2 or not cluster.network_policy:
        return {
            "datapath_provider": "ADVANCED_DATAPATH" if cluster.dataplane_v2 else "LEGACY_DATAPATH",
            "network_policy": {"enabled": False, "provider": "PROVIDER_UNSPECIFIED"},
            "addons_network_policy_disabled": True,
        }
    return {
        "datapath_provider": "LEGACY_DATAPATH",
        "network_policy": {"enabled": True, "provider": "CALICO"},
        "addons_network_policy_disabled": False,
    }


def observability(cluster: ClusterSpec) -> dict[str, Any]:
    return {
        "logging_service": "logging.googleapis.com/kubernetes",
        "monitoring_service": "monitoring.googleapis.com/kubernetes",
        "logging_config": {"enable_components": ["SYSTEM_COMPONENTS", "WORKLOADS"]},
        "monitoring_config": {
            "enable_components": ["SYSTEM_COMPONENTS"],
            "managed_prometheus": {"enabled": cluster.managed_prometheus},
        },
    }


def cluster_args(
    cluster: ClusterSpec, gcp: GcpTarget, node_service_account: str | None = None
) -> dict[str, Any]:
    """Every cluster input computable from the spec (network ids are wired by the component).

    The default node pool is created with the hardened node settings and the dedicated
    account, then removed; pools are separate resources.
    """
    project = gcp.project
    netpol = network_policy_settings(cluster)
    args: dict[str, Any] = {
        "name": cluster.name,
        "project": project,
        "location": cluster.location,
        "description": f"servestack serving cluster ({gcp.labels.env})",
        "remove_default_node_pool": True,
        "initial_node_count": 1,
        "node_config": {
            **node_security_config(cluster.workload_identity),
            "service_account": node_service_account,
            "machine_type": "e2-small",
        },
        "networking_mode": "VPC_NATIVE",
        "ip_allocation_policy": ip_allocation_policy(cluster),
        "private_cluster_config": private_cluster_config(cluster),
        "master_authorized_networks_config": master_authorized_networks_config(cluster),
        "master_auth": {"client_certificate_config": {"issue_client_certificate": False}},
        "enable_legacy_abac": False,
        "enable_kubernetes_alpha": False,
        "enable_shielded_nodes": cluster.shielded_nodes,
        "enable_intranode_visibility": True,
        "workload_identity_config": (
            {"workload_pool": workload_pool(project)} if cluster.workload_identity else None
        ),
        "release_channel": {"channel": cluster.release_channel.value},
        "maintenance_policy": maintenance_policy(cluster),
        "datapath_provider": netpol["datapath_provider"],
        "network_policy": netpol["network_policy"],
        "addons_config": {
            "http_load_balancing": {"disabled": False},
            "horizontal_pod_autoscaling": {"disabled": False},
            "gce_persistent_disk_csi_driver_config": {"enabled": True},
            "network_policy_config": {"disabled": netpol["addons_network_policy_disabled"]},
        },
        **observability(cluster),
        "binary_authorization": {
            "evaluation_mode": (
                "PROJECT_SINGLETON_POLICY_ENFORCE" if cluster.binary_authorization else "DISABLED"
            )
        },
        "database_encryption": (
            {"state": "ENCRYPTED", "key_name": cluster.secrets_encryption_key}
            if cluster.secrets_encryption_key
            else {"state": "DECRYPTED"}
        ),
        "node_pool_defaults": {
            "node_config_defaults": {"gcfs_config": {"enabled": True}, "logging_variant": "DEFAULT"}
        },
        "vertical_pod_autoscaling": {"enabled": True},
        "cost_management_config": {"enabled": True},
        "resource_labels": gcp.labels.as_dict(),
        "deletion_protection": cluster.deletion_protection,
    }
    if node_service_account is None:
        del args["node_config"]["service_account"]
    return {key: value for key, value in args.items() if value is not None}


def cluster_options(cluster: ClusterSpec) -> pulumi.ResourceOptions:
    """A protected cluster is retained on destroy; the removed default pool's config is
    ignored so it never forces a replacement."""
    return pulumi.ResourceOptions(
        retain_on_delete=cluster.deletion_protection,
        ignore_changes=["nodeConfig", "initialNodeCount"],
        custom_timeouts=pulumi.CustomTimeouts(**CLUSTER_TIMEOUTS),
    )


@dataclass(frozen=True)
class ClusterArgs:
    cluster: ClusterSpec
    """The stack file's `cluster` section."""
    gcp: GcpTarget
    """Project and labels of the cluster."""
    network: pulumi.Input[str]
    """Id of the VPC the cluster joins (created by `Network`, or an existing one)."""
    subnetwork: pulumi.Input[str]
    """Id of the node subnet, with the pod and service secondary ranges."""
    node_service_account: pulumi.Input[str]
    """E-mail of the dedicated node account the transient default pool runs as."""


class Cluster(pulumi.ComponentResource):
    """The GKE control plane; node pools are separate `NodePool` components."""

    name: pulumi.Output[str]
    location: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    ca_certificate: pulumi.Output[str]

    def __init__(
        self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servestack:platform:Cluster", name, None, opts)
        values = cluster_args(args.cluster, args.gcp)
        values["node_config"]["service_account"] = args.node_service_account
        cluster = gcp.container.Cluster(
            f"{name}-gke",
            gcp.container.ClusterArgs(network=args.network, subnetwork=args.subnetwork, **values),
            pulumi.ResourceOptions.merge(
                cluster_options(args.cluster), pulumi.ResourceOptions(parent=self)
            ),
        )
        self.resource = cluster
        self.name = cluster.name
        self.location = cluster.location
        self.endpoint = pulumi.Output.secret(cluster.endpoint)
        self.ca_certificate = cluster.master_auth.apply(
            lambda auth: auth.cluster_ca_certificate or ""
        )
        self.register_outputs({"name": self.name, "location": self.location})
