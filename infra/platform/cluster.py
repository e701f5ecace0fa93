"""The GKE cluster: private, VPC-native, Workload Identity, Dataplane V2, hardened defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NotRequired, TypedDict

import pulumi
import pulumi_gcp as gcp

from infra.config import ClusterSpec
from infra.config.targets import GcpTarget
from infra.platform.network import ip_allocation_policy
from infra.platform.nodeconfig import default_pool_security_config

# Control-plane timeouts of a regional create/upgrade exceed the provider's defaults.
CLUSTER_TIMEOUTS: dict[str, str] = {"create": "45m", "update": "60m", "delete": "45m"}


def workload_pool(project: str) -> str:
    return f"{project}.svc.id.goog"


def maintenance_policy(cluster: ClusterSpec) -> gcp.container.ClusterMaintenancePolicyArgsDict:
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


def private_cluster_config(
    cluster: ClusterSpec,
) -> gcp.container.ClusterPrivateClusterConfigArgsDict | None:
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


def master_authorized_networks_config(
    cluster: ClusterSpec,
) -> gcp.container.ClusterMasterAuthorizedNetworksConfigArgsDict | None:
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


def control_plane_endpoints_config(
    cluster: ClusterSpec,
) -> gcp.container.ClusterControlPlaneEndpointsConfigArgsDict:
    """The DNS endpoint as the stack sets it; the IP endpoint stays on for authorized networks.

    https://cloud.google.com/kubernetes-engine/docs/concepts/network-isolation#dns-based_endpoint
    """
    return {
        "dns_endpoint_config": {
            "allow_external_traffic": cluster.dns_endpoint.allow_external_traffic
        },
        "ip_endpoints_config": {"enabled": True},
    }


class NetworkPolicySettings(TypedDict):
    """Who enforces NetworkPolicy: three cluster inputs that must agree."""

    datapath_provider: str
    network_policy: gcp.container.ClusterNetworkPolicyArgsDict
    addons_network_policy_disabled: bool


def network_policy_settings(cluster: ClusterSpec) -> NetworkPolicySettings:
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


class Observability(TypedDict):
    """Logging and monitoring inputs of the cluster."""

    logging_service: str
    monitoring_service: str
    logging_config: gcp.container.ClusterLoggingConfigArgsDict
    monitoring_config: gcp.container.ClusterMonitoringConfigArgsDict


def observability(cluster: ClusterSpec) -> Observability:
    return {
        "logging_service": "logging.googleapis.com/kubernetes",
        "monitoring_service": "monitoring.googleapis.com/kubernetes",
        "logging_config": {"enable_components": ["SYSTEM_COMPONENTS", "WORKLOADS"]},
        "monitoring_config": {
            "enable_components": ["SYSTEM_COMPONENTS"],
            "managed_prometheus": {"enabled": cluster.managed_prometheus},
        },
    }


class ClusterInputs(TypedDict):
    """The inputs of a `gcp.container.Cluster` computed from the spec (all but the network)."""

    name: str
    project: str
    location: str
    description: str
    remove_default_node_pool: bool
    initial_node_count: int
    node_config: gcp.container.ClusterNodeConfigArgsDict
    networking_mode: str
    ip_allocation_policy: gcp.container.ClusterIpAllocationPolicyArgsDict
    private_cluster_config: NotRequired[gcp.container.ClusterPrivateClusterConfigArgsDict]
    master_authorized_networks_config: NotRequired[
        gcp.container.ClusterMasterAuthorizedNetworksConfigArgsDict
    ]
    control_plane_endpoints_config: gcp.container.ClusterControlPlaneEndpointsConfigArgsDict
    master_auth: gcp.container.ClusterMasterAuthArgsDict
    enable_legacy_abac: bool
    enable_kubernetes_alpha: bool
    enable_shielded_nodes: bool
    enable_intranode_visibility: bool
    workload_identity_config: NotRequired[gcp.container.ClusterWorkloadIdentityConfigArgsDict]
    release_channel: gcp.container.ClusterReleaseChannelArgsDict
    maintenance_policy: gcp.container.ClusterMaintenancePolicyArgsDict
    datapath_provider: str
    network_policy: gcp.container.ClusterNetworkPolicyArgsDict
    addons_config: gcp.container.ClusterAddonsConfigArgsDict
    gateway_api_config: gcp.container.ClusterGatewayApiConfigArgsDict
    logging_service: str
    monitoring_service: str
    logging_config: gcp.container.ClusterLoggingConfigArgsDict
    monitoring_config: gcp.container.ClusterMonitoringConfigArgsDict
    binary_authorization: gcp.container.ClusterBinaryAuthorizationArgsDict
    database_encryption: gcp.container.ClusterDatabaseEncryptionArgsDict
    node_pool_defaults: gcp.container.ClusterNodePoolDefaultsArgsDict
    vertical_pod_autoscaling: gcp.container.ClusterVerticalPodAutoscalingArgsDict
    cost_management_config: gcp.container.ClusterCostManagementConfigArgsDict
    resource_labels: dict[str, str]
    deletion_protection: bool


def default_pool_node_config(
    cluster: ClusterSpec, node_service_account: str | None
) -> gcp.container.ClusterNodeConfigArgsDict:
    """The transient default pool: hardened like every pool, the smallest machine."""
    config = default_pool_security_config(cluster.workload_identity)
    if node_service_account is not None:
        config["service_account"] = node_service_account
    config["machine_type"] = "e2-small"
    return config


def cluster_args(
    cluster: ClusterSpec, target: GcpTarget, node_service_account: str | None = None
) -> ClusterInputs:
    """Every cluster input computable from the spec (network ids are wired by the component).

    The default node pool is created with the hardened node settings and the dedicated
    account, then removed; pools are separate resources.
    """
    netpol = network_policy_settings(cluster)
    obs = observability(cluster)
    args: ClusterInputs = {
        "name": cluster.name,
        "project": target.project,
        "location": cluster.location,
        "description": f"servestack serving cluster ({target.labels.env})",
        "remove_default_node_pool": True,
        "initial_node_count": 1,
        "node_config": default_pool_node_config(cluster, node_service_account),
        "networking_mode": "VPC_NATIVE",
        "ip_allocation_policy": ip_allocation_policy(cluster),
        "control_plane_endpoints_config": control_plane_endpoints_config(cluster),
        "master_auth": {"client_certificate_config": {"issue_client_certificate": False}},
        "enable_legacy_abac": False,
        "enable_kubernetes_alpha": False,
        "enable_shielded_nodes": cluster.shielded_nodes,
        "enable_intranode_visibility": True,
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
        # GKE installs the Gateway API CRDs and runs its managed Gateway controller only with
        # this setting (plus the HttpLoadBalancing add-on above); servers exposed beyond the
        # cluster route REST through it (infra/serving/gateway.py).
        "gateway_api_config": {"channel": "CHANNEL_STANDARD"},
        "logging_service": obs["logging_service"],
        "monitoring_service": obs["monitoring_service"],
        "logging_config": obs["logging_config"],
        "monitoring_config": obs["monitoring_config"],
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
        "resource_labels": target.labels.as_dict(),
        "deletion_protection": cluster.deletion_protection,
    }
    if (private := private_cluster_config(cluster)) is not None:
        args["private_cluster_config"] = private
    if (authorized := master_authorized_networks_config(cluster)) is not None:
        args["master_authorized_networks_config"] = authorized
    if cluster.workload_identity:
        args["workload_identity_config"] = {"workload_pool": workload_pool(target.project)}
    return args


def cluster_options(cluster: ClusterSpec) -> pulumi.ResourceOptions:
    """A protected cluster is retained on destroy; the removed default pool's config is
    ignored so it never forces a replacement."""
    return pulumi.ResourceOptions(
        # Same name after a replacement: delete first, explicitly (infra/platform/replace_order.py).
        delete_before_replace=True,
        retain_on_delete=cluster.deletion_protection,
        ignore_changes=["nodeConfig", "initialNodeCount"],
        custom_timeouts=pulumi.CustomTimeouts(**CLUSTER_TIMEOUTS),
    )


@dataclass(frozen=True)
class ClusterArgs:
    cluster: ClusterSpec
    """The stack file's `cluster` section."""
    target: GcpTarget
    """Project and labels of the cluster."""
    network: pulumi.Input[str]
    """Id of the VPC the cluster joins (created by `Network`, or an existing one)."""
    subnetwork: pulumi.Input[str]
    """Id of the node subnet, with the pod and service secondary ranges."""
    node_service_account: pulumi.Input[str]
    """E-mail of the dedicated node account the transient default pool runs as."""


class Cluster(pulumi.ComponentResource):
    """The GKE control plane; node pools are separate `NodePool` components."""

    resource: gcp.container.Cluster
    """The cluster resource itself, for dependencies and further wiring."""
    name: pulumi.Output[str]
    """Cluster name, as GKE reports it."""
    location: pulumi.Output[str]
    """Region or zone of the cluster."""
    endpoint: pulumi.Output[str]
    """Control-plane IP address (a secret output)."""
    ca_certificate: pulumi.Output[str]
    """Base64 CA certificate of the control plane, for the kubeconfig."""
    dns_endpoint: pulumi.Output[str]
    """The control plane's DNS name (empty until GKE reports it)."""

    def __init__(
        self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servestack:platform:Cluster", name, None, opts)
        values = cluster_args(args.cluster, args.target)
        values["node_config"]["service_account"] = args.node_service_account
        cluster = gcp.container.Cluster(
            f"{name}-gke",
            pulumi.ResourceOptions.merge(
                cluster_options(args.cluster), pulumi.ResourceOptions(parent=self)
            ),
            network=args.network,
            subnetwork=args.subnetwork,
            **values,
        )
        self.resource = cluster
        self.name = cluster.name
        self.location = cluster.location
        self.endpoint = pulumi.Output.secret(cluster.endpoint)
        self.ca_certificate = cluster.master_auth.apply(
            lambda auth: auth.cluster_ca_certificate or ""
        )
        self.dns_endpoint = cluster.control_plane_endpoints_config.apply(_dns_name)
        self.register_outputs({"name": self.name, "location": self.location})


def _dns_name(config: gcp.container.outputs.ClusterControlPlaneEndpointsConfig | None) -> str:
    dns = config.dns_endpoint_config if config is not None else None
    return (dns.endpoint or "") if dns is not None else ""
