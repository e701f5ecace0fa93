"""Bad platform settings end in one ConfigError line naming the file and the key."""

from __future__ import annotations

import pytest

from infra.config import ConfigError
from tests.platform.conftest import cluster_with, stack_values, variant


def _error(stack: str, **changes: object) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        variant(stack, **changes)
    return caught.value


def _pools_with(stack: str, index: int, **fields: object) -> list[dict[str, object]]:
    pools: list[dict[str, object]] = stack_values(stack)["servestack:nodePools"]
    pools[index].update(fields)
    return pools


@pytest.mark.parametrize(
    ("gpu_type", "machine", "family"),
    [
        ("nvidia-l4", "n1-standard-8", "g2-*"),
        ("nvidia-tesla-t4", "g2-standard-8", "n1-*"),
        ("nvidia-tesla-a100", "n2-standard-8", "a2-*"),
        ("nvidia-h100-80gb", "a2-highgpu-1g", "a3-*"),
    ],
)
def test_gpu_type_must_fit_machine_family(gpu_type: str, machine: str, family: str) -> None:
    pools = _pools_with("prod", 1, machineType=machine, gpu={"type": gpu_type, "count": 1})
    error = _error("prod", nodePools=pools)
    assert error.file == "stacks/Pulumi.prod.yaml"
    assert error.key == "servestack:nodePools[1].gpu.type"
    assert f"{gpu_type} needs machine type {family}, not {machine}" in error.message
    assert "\n" not in str(error)


def test_unknown_gpu_type_lists_the_allowed_ones() -> None:
    pools = _pools_with("prod", 1, gpu={"type": "nvidia-rtx-9090"})
    error = _error("prod", nodePools=pools)
    assert error.key == "servestack:nodePools[1].gpu.type"
    assert "unknown GPU type 'nvidia-rtx-9090'" in error.message
    assert "nvidia-l4" in error.message


def test_pool_min_above_max_is_rejected() -> None:
    pools = _pools_with("prod", 0, autoscaling={"min": 5, "max": 2})
    error = _error("prod", nodePools=pools)
    assert error.key == "servestack:nodePools[0].autoscaling.min"
    assert error.message == "must be <= max (5 > 2)"


def test_gpu_budget_smaller_than_a_pool_max() -> None:
    error = _error("prod", gpuBudget=4)
    assert error.key == "servestack:nodePools[1].autoscaling.max"
    assert "pool can hold 6 GPUs (max 6 x 1)" in error.message
    assert "servestack:gpuBudget 4" in error.message


def test_gpu_budget_counts_every_zone_of_a_regional_per_zone_pool() -> None:
    pools = _pools_with(
        "prod", 1, autoscaling={"min": 1, "max": 2, "perZone": True, "locationPolicy": "ANY"}
    )
    error = _error("prod", nodePools=pools, gpuBudget=5)
    assert error.key == "servestack:nodePools[1].autoscaling.max"
    assert "pool can hold 6 GPUs (max 2 x 1 x 3 zones)" in error.message


def test_per_zone_counts_of_a_zonal_pool_are_not_multiplied() -> None:
    pools = _pools_with("dev", 1, autoscaling={"min": 0, "max": 2, "perZone": True})
    assert variant("dev", nodePools=pools).gpu_budget == 2


def test_local_stack_takes_no_node_pools() -> None:
    error = _error("local", nodePools=stack_values("dev")["servestack:nodePools"])
    assert error.key == "servestack:nodePools"
    assert error.message == "must be empty for a local stack"


def test_dataplane_v2_cannot_turn_network_policy_off() -> None:
    error = _error("prod", cluster=cluster_with("prod", networkPolicy=False))
    assert error.key == "servestack:cluster.networkPolicy"
    assert "Dataplane V2 always enforces NetworkPolicy" in error.message


@pytest.mark.parametrize("role", ["editor", "roles/", "projects/p/roles/x", "roles/a b"])
def test_node_account_roles_must_be_role_ids(role: str) -> None:
    error = _error("prod", cluster=cluster_with("prod", nodeServiceAccountRoles=[role]))
    assert error.key == "servestack:cluster.nodeServiceAccountRoles[0]"
    assert "roles/" in error.message


def test_node_account_role_listed_twice() -> None:
    roles = ["roles/logging.logWriter", "roles/logging.logWriter"]
    error = _error("prod", cluster=cluster_with("prod", nodeServiceAccountRoles=roles))
    assert error.key == "servestack:cluster.nodeServiceAccountRoles"
    assert error.message == "lists roles/logging.logWriter more than once"
