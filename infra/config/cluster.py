"""The `cluster` section (a GKE cluster) and its alternative, the `local` section."""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import SecretStr, StringConstraints, WithJsonSchema, field_validator, model_validator

from infra.config.shared import (
    SECURE_VALUE_SCHEMA,
    Cidr,
    DnsLabel,
    FreeText,
    IamRole,
    Rfc3339,
    Strict,
)

# A VPC or subnet by name or by its resource path (projects/P/global/networks/N,
# projects/P/regions/R/subnetworks/S); names per https://cloud.google.com/compute/docs/naming-resources
GcpResourceName = Annotated[
    str,
    StringConstraints(
        pattern=r"^(projects/[-a-z0-9.:]{1,100}/(global|regions/[a-z0-9-]{1,63})/(networks|subnetworks)/)?[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"
    ),
]
# host[:port] of a registry (a DNS name, localhost or an IPv4 address).
RegistryHost = Annotated[
    str,
    StringConstraints(
        pattern=r"^[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*(:[0-9]{1,5})?$",
        max_length=253,
    ),
]


class ReleaseChannel(StrEnum):
    RAPID = "RAPID"
    REGULAR = "REGULAR"
    STABLE = "STABLE"
    EXTENDED = "EXTENDED"
    UNSPECIFIED = "UNSPECIFIED"


class NetworkSpec(Strict):
    """VPC-native networking: a network created for the cluster unless existing ones are named."""

    existing_network: GcpResourceName | None = None
    """Existing VPC to use instead of creating one; needs existingSubnetwork."""
    existing_subnetwork: GcpResourceName | None = None
    """Existing subnet for the nodes; needs existingNetwork."""
    subnet_cidr: Cidr = "10.10.0.0/20"
    """Primary range of the created subnet: node IPs."""
    pods_cidr: Cidr = "10.16.0.0/14"
    """Secondary range for pod IPs; size it for max nodes x pods per node."""
    services_cidr: Cidr = "10.20.0.0/20"
    """Secondary range for Service cluster IPs."""
    proxy_only_cidr: Cidr | None = None
    """Proxy-only subnet of the Gateway's proxies (expose internal/external); created unless
    the network exists."""

    @model_validator(mode="after")
    def _existing_pair(self) -> Self:
        if (self.existing_network is None) != (self.existing_subnetwork is None):
            raise ValueError("existingNetwork and existingSubnetwork go together")
        return self

    @model_validator(mode="after")
    def _proxy_range(self) -> Self:
        if self.proxy_only_cidr is None:
            return self
        proxy = ipaddress.ip_network(self.proxy_only_cidr, strict=False)
        # Google recommends /23 for a proxy-only subnet and allows /26 at the smallest
        # (https://cloud.google.com/load-balancing/docs/proxy-only-subnets#proxy_only_subnet_create).
        if proxy.prefixlen > 26:
            raise ValueError(f"proxyOnlyCidr: /{proxy.prefixlen} is smaller than /26")
        for key, cidr in (
            ("subnetCidr", self.subnet_cidr),
            ("podsCidr", self.pods_cidr),
            ("servicesCidr", self.services_cidr),
        ):
            if proxy.overlaps(ipaddress.ip_network(cidr, strict=False)):
                raise ValueError(f"proxyOnlyCidr: {self.proxy_only_cidr} overlaps {key} {cidr}")
        return self


class AuthorizedNetwork(Strict):
    name: FreeText
    """Display name of the network (e.g. corp-vpn), shown in the GKE console."""
    cidr: Cidr
    """Source range allowed to reach the cluster's control plane."""


class PrivateClusterSpec(Strict):
    enabled: bool = True
    """Nodes get no public IPs; turn off only for throwaway clusters."""
    master_cidr: Cidr = "172.16.0.0/28"
    """/28 range for the control plane's private endpoint; unique in the VPC."""
    private_endpoint: bool = False
    """Control plane reachable only from inside the VPC (no public endpoint)."""


class DnsEndpointSpec(Strict):
    """GKE's DNS-based control-plane endpoint, an alternative to the IP endpoint.

    Requests reach it through Google's front end from any network that reaches Google APIs,
    and IAM authorises each one (`container.clusters.connect`) before Kubernetes RBAC does:
    https://cloud.google.com/kubernetes-engine/docs/concepts/network-isolation#dns-based_endpoint
    Authorized networks keep applying to the IP endpoint only.
    """

    allow_external_traffic: bool = False
    """Serve kubectl and Pulumi on the DNS endpoint; they then connect through it. Off: only
    the IP endpoint (and its authorized networks) serves users, so CI on GitHub-hosted
    runners cannot reach the cluster."""


def _end_after_start(start: str, end: str) -> None:
    if datetime.fromisoformat(end) <= datetime.fromisoformat(start):
        raise ValueError(f"end: must be after start ({end} <= {start})")


class MaintenanceExclusion(Strict):
    name: FreeText
    """Name of the freeze (e.g. year-end-freeze)."""
    start: Rfc3339
    """Start of the freeze, RFC 3339 UTC time."""
    end: Rfc3339
    """End of the freeze, RFC 3339 UTC time."""
    scope: Literal["NO_UPGRADES", "NO_MINOR_UPGRADES", "NO_MINOR_OR_NODE_UPGRADES"] = "NO_UPGRADES"
    """Which upgrades the freeze blocks."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _end_after_start(self.start, self.end)
        return self


class MaintenanceSpec(Strict):
    """A recurring window in RFC 5545 RRULE form, with optional exclusions."""

    start: Rfc3339 = "2026-01-03T02:00:00Z"
    """Start of the first window, RFC 3339 UTC; the recurrence repeats it."""
    end: Rfc3339 = "2026-01-03T08:00:00Z"
    """End of the first window, RFC 3339 UTC; sets how long each window lasts."""
    recurrence: str = "FREQ=WEEKLY;BYDAY=SA,SU"
    """RFC 5545 RRULE repeating the window, e.g. FREQ=WEEKLY;BYDAY=SA,SU."""
    exclusions: list[MaintenanceExclusion] = []
    """Periods in which GKE must not upgrade (release freezes)."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _end_after_start(self.start, self.end)
        return self

    @field_validator("recurrence")
    @classmethod
    def _rrule(cls, value: str) -> str:
        if not value.startswith("FREQ="):
            raise ValueError("must be an RFC 5545 RRULE such as FREQ=WEEKLY;BYDAY=SA,SU")
        return value


class ClusterSpec(Strict):
    name: DnsLabel
    """GKE cluster name, unique within the project."""
    location: str
    """Region (regional cluster, three zones) or zone; must lie in gcp:region."""
    release_channel: ReleaseChannel = ReleaseChannel.REGULAR
    """GKE release channel: how soon the cluster gets new versions."""
    network: NetworkSpec = NetworkSpec()
    """VPC, subnet and secondary ranges of the cluster."""
    private: PrivateClusterSpec = PrivateClusterSpec()
    """Private nodes and control-plane endpoint settings."""
    master_authorized_networks: list[AuthorizedNetwork] = []
    """Only these ranges reach the control plane's IP endpoint; empty: no restriction."""
    dns_endpoint: DnsEndpointSpec = DnsEndpointSpec()
    """The DNS-based control-plane endpoint (IAM-authorised), for clients without a fixed IP."""
    workload_identity: bool = True
    """Pods act as Google service accounts without key files."""
    shielded_nodes: bool = True
    """Shielded GKE nodes (verified boot and node identity)."""
    dataplane_v2: bool = True
    """Dataplane V2 enforces NetworkPolicy; off: the Calico add-on does."""
    network_policy: bool = True
    """Enforce NetworkPolicy; may be off only without dataplaneV2, which always enforces."""
    node_service_account_roles: list[IamRole] = []
    """Extra project roles of the node service account, e.g. roles/logging.logWriter."""
    managed_prometheus: bool = True
    """Google Managed Prometheus, which scrapes serving metrics."""
    maintenance: MaintenanceSpec = MaintenanceSpec()
    """When GKE may upgrade the cluster and its nodes."""
    binary_authorization: bool = False
    """Enforce the project's Binary Authorization policy on images."""
    secrets_encryption_key: str | None = None
    """KMS key id to encrypt Kubernetes Secrets at rest; unset: Google key."""
    deletion_protection: bool = True
    """Refuse to delete the cluster, and keep it if removed from the stack."""
    accelerator_zones: dict[str, list[str]] = {}
    """Zones offering an accelerator, replacing servestack's shipped table for that type."""

    @field_validator("location")
    @classmethod
    def _location(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z]+-[a-z]+\d(-[a-z])?", value):
            raise ValueError("must be a GCP region (europe-west4) or zone (europe-west4-a)")
        return value

    @field_validator("secrets_encryption_key")
    @classmethod
    def _kms(cls, value: str | None) -> str | None:
        pattern = r"projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+"
        if value is not None and not re.fullmatch(pattern, value):
            raise ValueError("must be a KMS key id projects/P/locations/L/keyRings/R/cryptoKeys/K")
        return value

    @field_validator("node_service_account_roles")
    @classmethod
    def _unique_roles(cls, value: list[str]) -> list[str]:
        twice = sorted({role for role in value if value.count(role) > 1})
        if twice:
            raise ValueError(f"lists {', '.join(twice)} more than once")
        return value

    @model_validator(mode="after")
    def _enforcement(self) -> Self:
        if self.dataplane_v2 and not self.network_policy:
            raise ValueError(
                "networkPolicy: Dataplane V2 always enforces NetworkPolicy; "
                "set dataplaneV2: false to turn enforcement off"
            )
        return self

    @property
    def regional(self) -> bool:
        return not re.fullmatch(r".+-[a-z]", self.location)


class LocalSpec(Strict):
    """The `local` flavour: an existing kubeconfig context and a local registry, no GCP."""

    kubeconfig_context: FreeText
    """kubeconfig context of the local cluster to deploy to."""
    kubeconfig_path: FreeText | None = None
    """kubeconfig file to read; unset: the default (KUBECONFIG or ~/.kube)."""
    registry: RegistryHost = "localhost:5001"
    """host:port of the local registry the images are pushed to."""
    registry_password: Annotated[SecretStr, WithJsonSchema(SECURE_VALUE_SCHEMA)] | None = None
    """Password for the local registry; set it as a secure value."""
