"""The GKE checks of checkov's Terraform framework, mirrored on the captured plan.

Each test names the check it covers and asserts on the inputs the engine would receive.
Checks a stack deliberately does not meet are asserted as such, with the reason in
docs/checkov-gcp.md (the one place that lists them).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.platform.conftest import GKE_STACKS, PlatformRun, spec_of

CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
COMPUTE_DEFAULT_SA = "-compute@developer.gserviceaccount.com"

stacks = pytest.mark.parametrize("stack", GKE_STACKS)


def _cluster(run: PlatformRun) -> dict[str, Any]:
    return run.one(CLUSTER).inputs


def _node_configs(run: PlatformRun) -> list[dict[str, Any]]:
    """Node configs checkov inspects: the cluster's (default pool) and every node pool's."""
    pools = [p.inputs["nodeConfig"] for p in run.of_type(NODE_POOL)]
    return [_cluster(run)["nodeConfig"], *pools]


@stacks
def test_ckv_gcp_1_stackdriver_logging_enabled(runs: dict[str, PlatformRun], stack: str) -> None:
    """CKV_GCP_1: logging service is not `none`."""
    cluster = _cluster(runs[stack])
    assert cluster["loggingService"] == "logging.googleapis.com/kubernetes"
    assert "WORKLOADS" in cluster["loggingConfig"]["enableComponents"]


@stacks
def test_ckv_gcp_7_legacy_authorization_disabled(runs: dict[str, PlatformRun], stack: str) -> None:
    """CKV_GCP_7: legacy ABAC is off."""
    assert _cluster(runs[stack])["enableLegacyAbac"] is False


@stacks
def test_ckv_gcp_8_stackdriver_monitoring_enabled(runs: dict[str, PlatformRun], stack: str) -> None:
    """CKV_GCP_8: monitoring service is not `none` (plus Managed Prometheus)."""
    cluster = _cluster(runs[stack])
    assert cluster["monitoringService"] == "monitoring.googleapis.com/kubernetes"
    assert cluster["monitoringConfig"]["managedPrometheus"] == {"enabled": True}


@stacks
def test_ckv_gcp_9_node_auto_repair(runs: dict[str, PlatformRun], stack: str) -> None:
    """CKV_GCP_9: every node pool auto-repairs."""
    for pool in runs[stack].of_type(NODE_POOL):
        assert pool.inputs["management"]["autoRepair"] is True


@stacks
def test_ckv_gcp_10_node_auto_upgrade(runs: dict[str, PlatformRun], stack: str) -> None:
    """CKV_GCP_10: every node pool auto-upgrades."""
    for pool in runs[stack].of_type(NODE_POOL):
        assert pool.inputs["management"]["autoUpgrade"] is True


@stacks
def test_ckv_gcp_12_network_policy_enforced(runs: dict[str, PlatformRun], stack: str) -> None:
    """CKV_GCP_12: NetworkPolicy is enforced.

    Deliberately not met to the letter: with Dataplane V2 GKE enforces NetworkPolicy itself
    and rejects `network_policy.enabled` (Calico), which is what the check reads.
    """
    cluster = _cluster(runs[stack])
    assert spec_of(stack).cluster is not None
    assert cluster["datapathProvider"] == "ADVANCED_DATAPATH"
    assert cluster["networkPolicy"] == {"enabled": False, "provider": "PROVIDER_UNSPECIFIED"}


@stacks
def test_ckv_gcp_13_client_certificate_disabled(runs: dict[str, PlatformRun], stack: str) -> None:
    """CKV_GCP_13: no client certificate is issued (and no basic auth)."""
    master_auth = _cluster(runs[stack])["masterAuth"]
    assert master_auth == {"clientCertificateConfig": {"issueClientCertificate": False}}


@stacks
def test_ckv_gcp_18_control_plane_not_public(runs: dict[str, PlatformRun], stack: str) -> None:
    """CKV_GCP_18: no authorized network opens the control plane to 0.0.0.0/0."""
    config = _cluster(runs[stack])["masterAuthorizedNetworksConfig"]
    cidrs = [block["cidrBlock"] for block in config["cidrBlocks"]]
    assert cidrs
    assert "0.0.0.0/0" not in cidrs
    assert config["gcpPublicCidrsAccessEnabled"] is False


@stacks
def test_ckv_gcp_20_master_authorized_networks(runs: dict[str, PlatformRun], stack: str) -> None:
    """CKV_GCP_20: master authorized networks are enabled."""
    spec = spec_of(stack)
    assert spec.cluster is not None
    blocks = _cluster(runs[stack])["masterAuthorizedNetworksConfig"]["cidrBlocks"]
    assert [b["displayName"] for b in blocks] == [
        n.name for n in spec.cluster.master_authorized_networks
    ]


@stacks
def test_ckv_gcp_21_cluster_labels(runs: dict[str, PlatformRun], stack: str) -> None:
    """CKV_GCP_21: the cluster carries labels (the stack's team/env/cost-center)."""
    assert _cluster(runs[stack])["resourceLabels"] == spec_of(stack).labels.as_dict()


@stacks
def test_ckv_gcp_22_container_optimized_os(runs: dict[str, PlatformRun], stack: str) -> None:
    """CKV_GCP_22: nodes run Container-Optimized OS."""
    for config in _node_configs(runs[stack]):
        assert config["imageType"] == "COS_CONTAINERD"


@stacks
def test_ckv_gcp_23_alias_ip_ranges(runs: dict[str, PlatformRun], stack: str) -> None:
    """CKV_GCP_23: VPC-native (alias IP) with pod and service ranges."""
    cluster = _cluster(runs[stack])
    assert cluster["networkingMode"] == "VPC_NATIVE"
    assert cluster["ipAllocationPolicy"] == {
        "clusterSecondaryRangeName": "pods",
        "servicesSecondaryRangeName": "services",
    }


@stacks
def test_ckv_gcp_25_private_cluster(runs: dict[str, PlatformRun], stack: str) -> None:
    """CKV_GCP_25: a private cluster config is present."""
    config = _cluster(runs[stack])["privateClusterConfig"]
    assert config["masterIpv4CidrBlock"].endswith("/28")


@stacks
def test_ckv_gcp_61_intranode_visibility(runs: dict[str, PlatformRun], stack: str) -> None:
    """CKV_GCP_61: intranode visibility on, with subnet flow logs to see that traffic."""
    run = runs[stack]
    assert _cluster(run)["enableIntranodeVisibility"] is True
    (subnet,) = run.of_type("gcp:compute/subnetwork:Subnetwork")
    assert subnet.inputs["logConfig"]["metadata"] == "INCLUDE_ALL_METADATA"


@stacks
def test_ckv_gcp_64_private_nodes(runs: dict[str, PlatformRun], stack: str) -> None:
    """CKV_GCP_64: nodes have no public IP."""
    assert _cluster(runs[stack])["privateClusterConfig"]["enablePrivateNodes"] is True


@stacks
def test_ckv_gcp_66_binary_authorization(runs: dict[str, PlatformRun], stack: str) -> None:
    """CKV_GCP_66: Binary Authorization enforced where the stack enables it.

    Deliberately not met in dev and staging (see docs/checkov-gcp.md).
    """
    spec = spec_of(stack)
    assert spec.cluster is not None
    mode = _cluster(runs[stack])["binaryAuthorization"]["evaluationMode"]
    expected = (
        "PROJECT_SINGLETON_POLICY_ENFORCE" if spec.cluster.binary_authorization else "DISABLED"
    )
    assert mode == expected
    assert (stack == "prod") == (mode == "PROJECT_SINGLETON_POLICY_ENFORCE")


@stacks
def test_ckv_gcp_68_secure_boot(runs: dict[str, PlatformRun], stack: str) -> None:
    """CKV_GCP_68: Secure Boot on every node."""
    for config in _node_configs(runs[stack]):
        assert config["shieldedInstanceConfig"]["enableSecureBoot"] is True


@stacks
def test_ckv_gcp_69_gke_metadata_server(runs: dict[str, PlatformRun], stack: str) -> None:
    """CKV_GCP_69: the GKE metadata server (Workload Identity) on every node."""
    run = runs[stack]
    for config in _node_configs(run):
        assert config["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
        assert config["metadata"] == {"disable-legacy-endpoints": "true"}
    assert _cluster(run)["workloadIdentityConfig"]["workloadPool"].endswith(".svc.id.goog")


@stacks
def test_ckv_gcp_70_release_channel(runs: dict[str, PlatformRun], stack: str) -> None:
    """CKV_GCP_70: a release channel is set."""
    spec = spec_of(stack)
    assert spec.cluster is not None
    channel = _cluster(runs[stack])["releaseChannel"]["channel"]
    assert channel == spec.cluster.release_channel.value
    assert channel != "UNSPECIFIED"


@stacks
def test_ckv_gcp_71_shielded_gke_nodes(runs: dict[str, PlatformRun], stack: str) -> None:
    """CKV_GCP_71: Shielded GKE Nodes."""
    assert _cluster(runs[stack])["enableShieldedNodes"] is True


@stacks
def test_ckv_gcp_72_integrity_monitoring(runs: dict[str, PlatformRun], stack: str) -> None:
    """CKV_GCP_72: integrity monitoring on every node."""
    for config in _node_configs(runs[stack]):
        assert config["shieldedInstanceConfig"]["enableIntegrityMonitoring"] is True


@stacks
def test_ckv_gcp_123_no_node_pools_in_cluster(runs: dict[str, PlatformRun], stack: str) -> None:
    """CKV_GCP_123: pools are separate resources; the default pool is removed."""
    cluster = _cluster(runs[stack])
    assert "nodePools" not in cluster
    assert cluster["removeDefaultNodePool"] is True
    assert len(runs[stack].of_type(NODE_POOL)) == len(spec_of(stack).node_pools)


@stacks
def test_ckv2_gcp_1_no_compute_default_service_account(
    runs: dict[str, PlatformRun], stack: str
) -> None:
    """CKV2_GCP_1: nodes never run as the Compute Engine default account."""
    for config in _node_configs(runs[stack]):
        account = config["serviceAccount"]
        assert account.endswith(".iam.gserviceaccount.com")
        assert not account.endswith(COMPUTE_DEFAULT_SA)
        assert account != "default"
