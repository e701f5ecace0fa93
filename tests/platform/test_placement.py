"""Scheduling onto pools: selector by the stable pool label, GPU toleration matching the taint."""

from __future__ import annotations

from infra.config import NodePoolSpec, TaintSpec
from infra.config.placement import (
    ACCELERATOR_LABEL,
    NODE_POOL_LABEL,
    PoolPlacement,
    gpu_toleration,
    placements,
    pool_node_labels,
    pool_placement,
)
from infra.platform.placement import gpu_taint, pool_taints
from tests.platform.conftest import spec_of

GPU_POOL = NodePoolSpec.model_validate(
    {"name": "gpu-l4", "machineType": "g2-standard-8", "gpu": {"type": "nvidia-l4"}}
)
CPU_POOL = NodePoolSpec.model_validate(
    {"name": "cpu", "machineType": "n2-standard-4", "labels": {"workload": "serving"}}
)


def test_cpu_pool_placement_selects_the_pool_only() -> None:
    placement = pool_placement(CPU_POOL)
    assert placement == PoolPlacement(
        pool="cpu", gpu_type=None, node_selector={NODE_POOL_LABEL: "cpu"}, tolerations=[]
    )


def test_gpu_pool_placement_selects_the_pool_label_and_tolerates_the_taint() -> None:
    placement = pool_placement(GPU_POOL)
    assert placement.gpu_type == "nvidia-l4"
    # Only the stable servestack label: never GKE's pool name, which carries a settings hash.
    assert NODE_POOL_LABEL == "servestack.io/pool"
    assert placement.node_selector == {NODE_POOL_LABEL: "gpu-l4"}
    assert placement.tolerations == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}
    ]


def test_toleration_matches_the_taint_the_pool_carries() -> None:
    taint, toleration = gpu_taint(), gpu_toleration()
    assert (taint["key"], taint["value"]) == (toleration["key"], toleration["value"])
    # GKE's API spells the effect NO_SCHEDULE, Kubernetes NoSchedule.
    assert taint["effect"] == "NO_SCHEDULE"
    assert toleration["effect"] == "NoSchedule"


def test_node_labels_merge_stack_pool_and_accelerator_labels_sorted() -> None:
    stack = {"team": "ml", "env": "prod", "cost-center": "cc-1"}
    gpu_labels = pool_node_labels(GPU_POOL, stack)
    assert gpu_labels == {**stack, ACCELERATOR_LABEL: "nvidia-l4", NODE_POOL_LABEL: "gpu-l4"}
    assert list(gpu_labels) == sorted(gpu_labels)
    assert pool_node_labels(CPU_POOL, stack) == {
        **stack,
        "workload": "serving",
        NODE_POOL_LABEL: "cpu",
    }


def test_pool_label_cannot_be_overridden_by_pool_labels() -> None:
    pool = CPU_POOL.model_copy(update={"labels": {NODE_POOL_LABEL: "other"}})
    assert pool_node_labels(pool, {})[NODE_POOL_LABEL] == "cpu"
    assert pool_placement(pool).node_selector == {NODE_POOL_LABEL: "cpu"}


def test_placements_cover_every_pool_of_every_gke_stack() -> None:
    prod = placements(spec_of("prod").node_pools)
    assert list(prod) == ["cpu", "gpu-l4"]
    assert prod["gpu-l4"].gpu_type == "nvidia-l4"
    assert placements(spec_of("dev").node_pools)["gpu-t4"].gpu_type == "nvidia-tesla-t4"
    assert placements(spec_of("local").node_pools) == {}


def test_placement_is_frozen() -> None:
    placement = pool_placement(CPU_POOL)
    try:
        placement.pool = "other"  # type: ignore[misc]
    except AttributeError:
        return
    raise AssertionError("PoolPlacement must be immutable")


def test_pool_taints_are_tolerated_by_key_and_effect_whatever_the_value() -> None:
    pool = CPU_POOL.model_copy(
        update={"taints": [TaintSpec(key="dedicated", value="serving", effect="NoExecute")]}
    )
    assert pool_taints(pool) == [{"key": "dedicated", "value": "serving", "effect": "NO_EXECUTE"}]
    assert pool_placement(pool).tolerations == [
        {"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}
    ]
    renamed = pool.model_copy(update={"taints": [TaintSpec(key="dedicated", value="other")]})
    assert pool_placement(renamed).tolerations[0]["effect"] == "NoSchedule"
    gpu = GPU_POOL.model_copy(update={"taints": pool.taints})
    assert [t["key"] for t in pool_taints(gpu)] == ["nvidia.com/gpu", "dedicated"]
    assert [t["key"] for t in pool_placement(gpu).tolerations] == ["nvidia.com/gpu", "dedicated"]


def test_placement_carries_what_the_workload_reads_of_its_pool() -> None:
    assert pool_placement(CPU_POOL).location_policy == "BALANCED"
    assert pool_placement(CPU_POOL).shared_clients_per_gpu is None
    shared = NodePoolSpec.model_validate(
        {
            "name": "t4",
            "machineType": "n1-standard-8",
            "autoscaling": {"locationPolicy": "ANY"},
            "gpu": {
                "type": "nvidia-tesla-t4",
                "sharing": {"strategy": "TIME_SHARING", "maxSharedClientsPerGpu": 4},
            },
        }
    )
    placement = pool_placement(shared)
    assert (placement.location_policy, placement.shared_clients_per_gpu) == ("ANY", 4)
    assert pool_placement(GPU_POOL).shared_clients_per_gpu is None
