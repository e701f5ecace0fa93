"""The cluster's VPC: its own network and subnet with pod/service ranges, or existing ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import pulumi
import pulumi_gcp as gcp

from infra.config import ClusterSpec
from infra.config.targets import GcpTarget
from infra.platform.replace_order import fixed_name_options

PODS_RANGE = "pods"
SERVICES_RANGE = "services"


class NetworkInputs(TypedDict):
    """The inputs of the cluster's `gcp.compute.Network`."""

    name: str
    project: str
    auto_create_subnetworks: bool
    routing_mode: str
    description: str


class SubnetworkInputs(TypedDict):
    """The inputs of the node `gcp.compute.Subnetwork`, all but the network id."""

    name: str
    project: str
    region: str
    ip_cidr_range: str
    private_ip_google_access: bool
    secondary_ip_ranges: list[gcp.compute.SubnetworkSecondaryIpRangeArgsDict]
    log_config: gcp.compute.SubnetworkLogConfigArgsDict


def network_args(cluster: ClusterSpec, target: GcpTarget) -> NetworkInputs:
    """A custom-mode VPC: subnets are declared, never auto-created in every region."""
    return {
        "name": f"{cluster.name}-vpc",
        "project": target.project,
        "auto_create_subnetworks": False,
        "routing_mode": "REGIONAL",
        "description": f"servestack network of cluster {cluster.name}",
    }


def subnetwork_args(cluster: ClusterSpec, target: GcpTarget) -> SubnetworkInputs:
    """Node subnet with named secondary ranges for VPC-native pods and services.

    Private Google Access lets private nodes pull from Artifact Registry; flow logs make
    the intranode-visible pod traffic observable.
    """
    net = cluster.network
    return {
        "name": f"{cluster.name}-nodes",
        "project": target.project,
        "region": target.region,
        "ip_cidr_range": net.subnet_cidr,
        "private_ip_google_access": True,
        "secondary_ip_ranges": [
            {"range_name": PODS_RANGE, "ip_cidr_range": net.pods_cidr},
            {"range_name": SERVICES_RANGE, "ip_cidr_range": net.services_cidr},
        ],
        "log_config": {
            "aggregation_interval": "INTERVAL_5_SEC",
            "flow_sampling": 0.5,
            "metadata": "INCLUDE_ALL_METADATA",
        },
    }


class ProxySubnetworkInputs(TypedDict):
    """The inputs of the proxy-only `gcp.compute.Subnetwork`, all but the network id."""

    name: str
    project: str
    region: str
    ip_cidr_range: str
    purpose: str
    role: str


def proxy_subnetwork_args(cluster: ClusterSpec, target: GcpTarget) -> ProxySubnetworkInputs | None:
    """The region's proxy-only subnet, which the internal and regional external Application
    Load Balancers behind a GKE Gateway run their Envoy proxies in; None when not asked for.

    `REGIONAL_MANAGED_PROXY` with role `ACTIVE` is the purpose both load balancers use
    (https://cloud.google.com/load-balancing/docs/proxy-only-subnets#envoy-lb; pulumi-gcp
    compute.Subnetwork `purpose`/`role`). One per region and VPC: an existing network
    brings its own, so none is declared there. Flow logs and Private Google Access do not
    apply to this purpose (checkov exempts it too: GoogleSubnetworkLoggingEnabled.py:7-8,
    GoogleSubnetworkPrivateGoogleEnabled.py:8-9).
    """
    net = cluster.network
    if net.proxy_only_cidr is None or net.existing_network is not None:
        return None
    return {
        "name": f"{cluster.name}-proxy-only",
        "project": target.project,
        "region": target.region,
        "ip_cidr_range": net.proxy_only_cidr,
        "purpose": "REGIONAL_MANAGED_PROXY",
        "role": "ACTIVE",
    }


def ip_allocation_policy(cluster: ClusterSpec) -> gcp.container.ClusterIpAllocationPolicyArgsDict:
    """VPC-native addressing: our named ranges, or CIDRs GKE adds to an existing subnet."""
    net = cluster.network
    if net.existing_subnetwork is None:
        return {
            "cluster_secondary_range_name": PODS_RANGE,
            "services_secondary_range_name": SERVICES_RANGE,
        }
    return {
        "cluster_ipv4_cidr_block": net.pods_cidr,
        "services_ipv4_cidr_block": net.services_cidr,
    }


@dataclass(frozen=True)
class NetworkArgs:
    cluster: ClusterSpec
    """The cluster section: names the network and holds its ranges or the existing ones."""
    target: GcpTarget
    """Project and region of the network and subnet."""


class Network(pulumi.ComponentResource):
    """The cluster's network and subnet; declares nothing when the stack names existing ones."""

    network: pulumi.Output[str]
    """Id of the VPC: the created one, or the existing one the stack names."""
    subnetwork: pulumi.Output[str]
    """Id of the node subnet: the created one, or the existing one the stack names."""

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servestack:platform:Network", name, None, opts)
        net = args.cluster.network
        if net.existing_network is not None and net.existing_subnetwork is not None:
            self.network = pulumi.Output.from_input(net.existing_network)
            self.subnetwork = pulumi.Output.from_input(net.existing_subnetwork)
        else:
            child = pulumi.ResourceOptions.merge(
                fixed_name_options(), pulumi.ResourceOptions(parent=self)
            )
            vpc = gcp.compute.Network(
                f"{name}-vpc",
                gcp.compute.NetworkArgs(**network_args(args.cluster, args.target)),
                child,
            )
            subnet = gcp.compute.Subnetwork(
                f"{name}-subnet",
                child,
                network=vpc.id,
                **subnetwork_args(args.cluster, args.target),
            )
            proxies = proxy_subnetwork_args(args.cluster, args.target)
            if proxies is not None:
                gcp.compute.Subnetwork(f"{name}-proxy-only", child, network=vpc.id, **proxies)
            self.network = vpc.id
            self.subnetwork = subnet.id
        self.register_outputs({"network": self.network, "subnetwork": self.subnetwork})
