"""Replacement order: chosen per pool from the GPU budget, explicit on every named resource."""

from __future__ import annotations

import pytest

from infra.config import ConfigError, NodePoolSpec
from infra.config.replacement import choose_replacement
from infra.ops.replacements import GCP_RULES
from tests.platform.conftest import GKE_STACKS, PlatformRun, stack_values, variant

# Inputs that name a GCP resource explicitly (pulumi-gcp would autoname them otherwise).
NAME_INPUTS = ("name", "repositoryId", "accountId")

GPU = NodePoolSpec.model_validate(
    {
        "name": "gpu",
        "machineType": "g2-standard-8",
        "gpu": {"type": "nvidia-l4", "count": 1},
        "autoscaling": {"min": 0, "max": 3},
    }
)
CPU = NodePoolSpec.model_validate({"name": "cpu", "machineType": "n2-standard-4"})


def test_gpu_pool_is_created_first_when_the_budget_covers_both_pools() -> None:
    chosen = choose_replacement(GPU, (CPU, GPU), gpu_budget=6, regional=True)
    assert chosen.order == "create-before-delete"
    assert not chosen.delete_before_replace
    assert "covers the overlap" in chosen.reason


def test_gpu_pool_is_deleted_first_and_the_outage_said_when_the_budget_is_short() -> None:
    chosen = choose_replacement(GPU, (CPU, GPU), gpu_budget=5, regional=True)
    assert chosen.delete_before_replace
    assert "outage" in chosen.reason


def test_cpu_pool_is_created_first_unless_the_stack_file_says_otherwise() -> None:
    assert choose_replacement(CPU, (CPU,), 0, True).order == "create-before-delete"
    first = CPU.model_copy(update={"replacement": "deleteBeforeCreate"})
    assert choose_replacement(first, (first,), 0, True).delete_before_replace


def test_create_before_delete_beyond_the_budget_is_a_config_error() -> None:
    pools = stack_values("staging")["servestack:nodePools"]
    pools[1]["replacement"] = "createBeforeDelete"
    with pytest.raises(ConfigError) as caught:
        variant("staging", nodePools=pools)
    assert caught.value.key == "servestack:nodePools[1].replacement"
    assert "6 GPUs during the swap" in caught.value.message


def test_every_replaceable_explicitly_named_gcp_resource_states_its_order(
    runs: dict[str, PlatformRun],
) -> None:
    missing = [
        f"{stack}: {r.name}"
        for stack in GKE_STACKS
        for r in runs[stack].resources
        if r.custom
        and r.type in GCP_RULES
        and any(r.inputs.get(key) for key in NAME_INPUTS)
        and "deleteBeforeReplace" not in r.options
    ]
    assert not missing, f"no explicit deleteBeforeReplace: {missing}"


def test_each_shipped_gpu_pool_takes_the_order_its_budget_allows(
    runs: dict[str, PlatformRun],
) -> None:
    orders = {
        stack: runs[stack].outputs["nodePoolReplacements"][pool]
        for stack, pool in (("dev", "gpu-t4"), ("staging", "gpu-l4"), ("prod", "gpu-l4"))
    }
    assert orders["prod"].startswith("create-before-delete: gpuBudget 12 covers")
    assert orders["staging"].startswith("delete-before-create: gpuBudget 4 cannot cover")
    assert orders["dev"].startswith("delete-before-create")
    pool = runs["staging"].by_name("platform-gpu-l4-pool")
    assert pool.options["deleteBeforeReplace"] is True
