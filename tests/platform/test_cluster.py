"""Cluster inputs from the spec, for every GKE stack and the settings that vary."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import StackSpec
from infra.config.targets import gke_cluster, gke_target
from infra.platform.cluster import (
    cluster_args,
    cluster_options,
    maintenance_policy,
    master_authorized_networks_config,
    private_cluster_config,
    workload_pool,
)
from infra.platform.network import ip_allocation_policy, network_args, subnetwork_args
from tests.platform.conftest import GKE_STACKS, cluster_with, spec_of, variant


def _args(spec: StackSpec, node_account: str | None = None) -> dict[str, Any]:
    target = gke_target(spec)
    return cluster_args(target.cluster, target.gcp, node_account)


def _cluster(stack: str) -> Any:
    return gke_cluster(spec_of(stack))


@pytest.mark.parametrize("stack", GKE_STACKS)
def test_every_gke_stack_gets_the_hardened_baseline(stack: str) -> None:
    spec = spec_of(stack)
    args = _args(spec, "nodes@p.iam.gserviceaccount.com")
    assert args["remove_default_node_pool"] is True
    assert "node_pools" not in args
    assert args["networking_mode"] == "VPC_NATIVE"
    assert args["enable_legacy_abac"] is False
    assert args["enable_kubernetes_alpha"] is False
    assert args["enable_shielded_nodes"] is True
    assert args["master_auth"] == {"client_certificate_config": {"issue_client_certificate": False}}
    assert args["workload_identity_config"] == {"workload_pool": f"{spec.gcp_project}.svc.id.goog"}
    assert args["resource_labels"] == spec.labels.as_dict()
    assert args["node_config"]["service_account"] == "nodes@p.iam.gserviceaccount.com"
    assert args["monitoring_config"]["managed_prometheus"] == {"enabled": True}
    assert args["datapath_provider"] == "ADVANCED_DATAPATH"


def test_location_release_channel_and_protection_follow_the_stack() -> None:
    dev, prod = _args(spec_of("dev")), _args(spec_of("prod"))
    assert (dev["location"], dev["release_channel"]) == ("europe-west4-a", {"channel": "REGULAR"})
    assert (prod["location"], prod["release_channel"]) == ("europe-west4", {"channel": "STABLE"})
    assert dev["deletion_protection"] is False
    assert prod["deletion_protection"] is True
    assert cluster_options(_cluster("prod")).retain_on_delete is True
    assert cluster_options(_cluster("dev")).retain_on_delete is False


def test_prod_binary_authorization_and_kms_secrets_encryption() -> None:
    prod = _args(spec_of("prod"))
    assert prod["binary_authorization"] == {"evaluation_mode": "PROJECT_SINGLETON_POLICY_ENFORCE"}
    assert prod["database_encryption"] == {
        "state": "ENCRYPTED",
        "key_name": "projects/acme-ml-serving-prod/locations/europe-west4/keyRings/gke/"
        "cryptoKeys/serve-prod-secrets",
    }
    dev = _args(spec_of("dev"))
    assert dev["binary_authorization"] == {"evaluation_mode": "DISABLED"}
    assert dev["database_encryption"] == {"state": "DECRYPTED"}


def test_maintenance_window_and_exclusions() -> None:
    policy = maintenance_policy(_cluster("prod"))
    assert policy["recurring_window"] == {
        "start_time": "2026-01-06T01:00:00Z",
        "end_time": "2026-01-06T05:00:00Z",
        "recurrence": "FREQ=WEEKLY;BYDAY=TU,WE,TH",
    }
    assert policy["maintenance_exclusions"] == [
        {
            "exclusion_name": "year-end-freeze",
            "start_time": "2026-12-18T00:00:00Z",
            "end_time": "2027-01-04T00:00:00Z",
            "exclusion_options": {"scope": "NO_MINOR_OR_NODE_UPGRADES"},
        }
    ]
    assert maintenance_policy(_cluster("staging"))["maintenance_exclusions"] == []


def test_private_nodes_and_authorized_networks() -> None:
    cluster = _cluster("prod")
    assert private_cluster_config(cluster) == {
        "enable_private_nodes": True,
        "enable_private_endpoint": False,
        "master_ipv4_cidr_block": "172.16.0.32/28",
        "master_global_access_config": {"enabled": False},
    }
    assert master_authorized_networks_config(cluster) == {
        "cidr_blocks": [
            {"cidr_block": "198.51.100.0/24", "display_name": "corp-vpn"},
            {"cidr_block": "203.0.113.16/28", "display_name": "ci-runners"},
        ],
        "gcp_public_cidrs_access_enabled": False,
    }


def test_public_nodes_and_no_allow_list_drop_those_blocks() -> None:
    spec = variant(
        "dev",
        cluster=cluster_with("dev", private={"enabled": False}, masterAuthorizedNetworks=[]),
    )
    args = _args(spec)
    assert "private_cluster_config" not in args
    assert "master_authorized_networks_config" not in args


def test_without_dataplane_v2_calico_enforces_network_policy() -> None:
    args = _args(variant("dev", cluster=cluster_with("dev", dataplaneV2=False)))
    assert args["datapath_provider"] == "LEGACY_DATAPATH"
    assert args["network_policy"] == {"enabled": True, "provider": "CALICO"}
    assert args["addons_config"]["network_policy_config"] == {"disabled": False}


def test_network_policy_off_leaves_the_cluster_without_enforcement() -> None:
    spec = variant("dev", cluster=cluster_with("dev", dataplaneV2=False, networkPolicy=False))
    args = _args(spec)
    assert args["datapath_provider"] == "LEGACY_DATAPATH"
    assert args["network_policy"] == {"enabled": False, "provider": "PROVIDER_UNSPECIFIED"}
    assert args["addons_config"]["network_policy_config"] == {"disabled": True}


def test_own_network_has_named_secondary_ranges() -> None:
    target = gke_target(spec_of("prod"))
    subnet = subnetwork_args(target.cluster, target.gcp)
    assert network_args(target.cluster, target.gcp)["auto_create_subnetworks"] is False
    assert subnet["ip_cidr_range"] == "10.30.0.0/20"
    assert subnet["region"] == "europe-west4"
    assert subnet["private_ip_google_access"] is True
    assert subnet["secondary_ip_ranges"] == [
        {"range_name": "pods", "ip_cidr_range": "10.32.0.0/14"},
        {"range_name": "services", "ip_cidr_range": "10.36.0.0/20"},
    ]
    assert ip_allocation_policy(target.cluster) == {
        "cluster_secondary_range_name": "pods",
        "services_secondary_range_name": "services",
    }


def test_existing_subnet_gets_ranges_by_cidr() -> None:
    network = {
        "existingNetwork": "shared-vpc",
        "existingSubnetwork": "gke-subnet",
        "podsCidr": "10.100.0.0/14",
        "servicesCidr": "10.104.0.0/20",
        "proxyOnlyCidr": "10.106.0.0/23",
    }
    spec = variant("prod", cluster=cluster_with("prod", network=network))
    assert ip_allocation_policy(gke_cluster(spec)) == {
        "cluster_ipv4_cidr_block": "10.100.0.0/14",
        "services_ipv4_cidr_block": "10.104.0.0/20",
    }


def test_workload_pool_name() -> None:
    assert workload_pool("acme") == "acme.svc.id.goog"


def test_cluster_args_are_deterministic() -> None:
    assert _args(spec_of("prod")) == _args(spec_of("prod"))


@pytest.mark.parametrize("stack", GKE_STACKS)
def test_shipped_gke_stacks_serve_the_dns_endpoint_and_keep_the_ip_endpoint(stack: str) -> None:
    endpoints = _args(spec_of(stack))["control_plane_endpoints_config"]
    assert endpoints == {
        "dns_endpoint_config": {"allow_external_traffic": True},
        "ip_endpoints_config": {"enabled": True},
    }
    # The authorized networks still guard the IP endpoint.
    assert "master_authorized_networks_config" in _args(spec_of(stack))


def test_dns_endpoint_refuses_user_traffic_unless_the_stack_asks() -> None:
    cluster = cluster_with("prod")
    del cluster["dnsEndpoint"]
    endpoints = _args(variant("prod", cluster=cluster))["control_plane_endpoints_config"]
    assert endpoints["dns_endpoint_config"] == {"allow_external_traffic": False}
    assert endpoints["ip_endpoints_config"] == {"enabled": True}


def test_dns_endpoint_setting_is_typed() -> None:
    from infra.config import ConfigError

    cluster = cluster_with("prod", dnsEndpoint={"allowExternalTraffic": "sometimes"})
    with pytest.raises((ConfigError, ValueError)):
        variant("prod", cluster=cluster)
