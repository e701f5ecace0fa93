"""The checkov GKE checks that checkov cannot decide on servestack's plan, asserted here.

checkov itself judges every GKE stack's GCP resources (tests/platform/test_checkov_gcp.py,
docs/checkov-gcp.md). Two of its checks never reach a verdict on them; the reasons are in
`infra.ops.checkov_gcp.MIRRORED`, and each test below stands in for one.
"""

from __future__ import annotations

from typing import Any

import pytest

from infra.ops.checkov_gcp import MIRRORED
from tests.platform.conftest import GKE_STACKS, PlatformRun

CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
COMPUTE_DEFAULT_SA = "-compute@developer.gserviceaccount.com"

stacks = pytest.mark.parametrize("stack", GKE_STACKS)


def _node_configs(run: PlatformRun) -> list[dict[str, Any]]:
    """Node configs: the cluster's (its short-lived default pool) and every node pool's."""
    pools = [p.inputs["nodeConfig"] for p in run.of_type(NODE_POOL)]
    return [run.one(CLUSTER).inputs["nodeConfig"], *pools]


def test_mirror_covers_exactly_the_undecided_checks() -> None:
    assert set(MIRRORED) == {"CKV_GCP_22", "CKV2_GCP_1"}


@stacks
def test_ckv_gcp_22_container_optimized_os(runs: dict[str, PlatformRun], stack: str) -> None:
    """CKV_GCP_22: nodes run Container-Optimized OS."""
    for config in _node_configs(runs[stack]):
        assert config["imageType"] == "COS_CONTAINERD"


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
