"""Node pool inputs from the spec: autoscaling, upgrades, hardened nodes, GPUs."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from pydantic import ValidationError

from infra.config import NODE_POOL_NAME_MAX, NodePoolSpec, StackLabels, StackSpec
from infra.config.replacement import PoolReplacement
from infra.config.targets import PoolTarget, pool_target
from infra.platform.nodepool import (
    FRESH_NODE_SETTINGS,
    SETTINGS_HASH_LENGTH,
    NodePool,
    NodePoolArgs,
    autoscaling,
    default_node_account,
    fresh_node_settings,
    gke_pool_name,
    guest_accelerators,
    initial_node_count,
    node_config,
    node_pool_args,
    node_pool_options,
    settings_hash,
    upgrade_settings,
)
from tests.platform.conftest import spec_of, variant

SA = "serve-prod-nodes@acme-ml-serving-prod.iam.gserviceaccount.com"


def _pool(**fields: Any) -> NodePoolSpec:
    return NodePoolSpec.model_validate({"name": "p", "machineType": "n2-standard-4", **fields})


def test_per_zone_autoscaling_uses_per_zone_counts() -> None:
    pool = _pool(autoscaling={"min": 1, "max": 4, "perZone": True})
    assert autoscaling(pool) == {
        "min_node_count": 1,
        "max_node_count": 4,
        "location_policy": "BALANCED",
    }
    assert initial_node_count(pool) == 1


def test_total_autoscaling_uses_total_counts_and_location_policy() -> None:
    pool = _pool(autoscaling={"min": 2, "max": 6, "locationPolicy": "ANY"})
    assert autoscaling(pool) == {
        "total_min_node_count": 2,
        "total_max_node_count": 6,
        "location_policy": "ANY",
    }
    # Per-zone start size: at most one node per zone, the autoscaler takes over.
    assert initial_node_count(pool) == 1
    assert initial_node_count(_pool(autoscaling={"min": 0, "max": 2})) == 0


def test_surge_upgrade_settings() -> None:
    pool = _pool(upgrade={"strategy": "SURGE", "maxSurge": 2, "maxUnavailable": 1})
    assert upgrade_settings(pool) == {"strategy": "SURGE", "max_surge": 2, "max_unavailable": 1}


def test_blue_green_upgrade_with_soak() -> None:
    pool = _pool(upgrade={"strategy": "BLUE_GREEN", "blueGreenSoakSeconds": 1800})
    settings = upgrade_settings(pool)
    assert settings["strategy"] == "BLUE_GREEN"
    assert "max_surge" not in settings
    green = settings["blue_green_settings"]
    assert green["node_pool_soak_duration"] == "1800s"
    assert green["standard_rollout_policy"]["batch_node_count"] == 1


def test_cpu_pool_has_no_accelerator_and_no_taint() -> None:
    config = node_config(_pool(), pool_target(spec_of("prod")), SA)
    assert guest_accelerators(_pool()) == []
    assert "guest_accelerators" not in config
    assert "taints" not in config


def test_gpu_pool_accelerator_driver_sharing_taint_and_label() -> None:
    spec = spec_of("dev")
    pool = spec.node_pools[1]
    config = node_config(pool, pool_target(spec), SA)
    assert config["guest_accelerators"] == [
        {
            "type": "nvidia-tesla-t4",
            "count": 1,
            "gpu_driver_installation_config": {"gpu_driver_version": "LATEST"},
            "gpu_sharing_config": {
                "gpu_sharing_strategy": "TIME_SHARING",
                "max_shared_clients_per_gpu": 2,
            },
        }
    ]
    assert config["taints"] == [
        {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}
    ]
    assert config["labels"]["servestack.io/accelerator"] == "nvidia-tesla-t4"


def test_gpu_pool_without_sharing_has_no_sharing_config() -> None:
    pool = spec_of("prod").node_pools[1]
    (accelerator,) = guest_accelerators(pool)
    assert accelerator["type"] == "nvidia-l4"
    assert "gpu_sharing_config" not in accelerator


def test_node_config_is_hardened_and_labelled() -> None:
    spec = spec_of("prod")
    config = node_config(spec.node_pools[0], pool_target(spec), SA)
    assert config["image_type"] == "COS_CONTAINERD"
    assert config["gcfs_config"] == {"enabled": True}
    assert config["shielded_instance_config"] == {
        "enable_secure_boot": True,
        "enable_integrity_monitoring": True,
    }
    assert config["workload_metadata_config"] == {"mode": "GKE_METADATA"}
    assert config["metadata"] == {"disable-legacy-endpoints": "true"}
    assert config["oauth_scopes"] == ["https://www.googleapis.com/auth/cloud-platform"]
    assert config["service_account"] == SA
    assert config["resource_labels"] == spec.labels.as_dict()
    assert config["labels"]["workload"] == "serving"
    assert config["spot"] is False


def test_spot_pools_are_spot() -> None:
    spec = spec_of("dev")
    assert all(node_config(p, pool_target(spec), SA)["spot"] for p in spec.node_pools)


def test_pool_service_account_overrides_the_dedicated_one() -> None:
    pools = [
        {**p, "serviceAccount": "123-compute@developer.gserviceaccount.com"}
        if p["name"] == "cpu"
        else p
        for p in spec_of("prod").model_dump(by_alias=True, exclude_none=True)["nodePools"]
    ]
    spec = variant("prod", nodePools=pools)
    config = node_config(spec.node_pools[0], pool_target(spec), SA)
    assert config["service_account"] == "123-compute@developer.gserviceaccount.com"
    assert node_config(spec.node_pools[1], pool_target(spec), SA)["service_account"] == SA


def test_node_pool_args_are_complete_and_deterministic() -> None:
    spec = spec_of("prod")
    args = node_pool_args(spec.node_pools[1], pool_target(spec), SA)
    assert args == node_pool_args(spec.node_pools[1], pool_target(spec), SA)
    assert args["name"] == gke_pool_name(spec.node_pools[1], pool_target(spec))
    assert args["location"] == "europe-west4"
    assert args["project"] == "acme-ml-serving-prod"
    assert args["management"] == {"auto_repair": True, "auto_upgrade": True}
    assert (
        "service_account"
        not in node_pool_args(spec.node_pools[1], pool_target(spec))["node_config"]
    )


def test_node_pool_options_leave_node_count_to_the_autoscaler() -> None:
    order = PoolReplacement("create-before-delete", "test")
    assert node_pool_options(order).ignore_changes == ["initialNodeCount"]
    assert node_pool_options(order).delete_before_replace is False


def _prod_with(pool_name: str, **changes: Any) -> tuple[StackSpec, NodePoolSpec]:
    """The prod stack with some fields of one pool replaced (validated like the real file)."""
    pools = spec_of("prod").model_dump(by_alias=True, exclude_none=True)["nodePools"]
    for pool in pools:
        if pool["name"] == pool_name:
            pool.update(changes)
    spec = variant("prod", nodePools=pools)
    found = spec.pool(pool_name)
    assert found is not None
    return spec, found


def test_gke_pool_name_is_pool_name_plus_short_settings_hash() -> None:
    spec = spec_of("prod")
    for pool in spec.node_pools:
        name = gke_pool_name(pool, pool_target(spec))
        assert re.fullmatch(rf"{pool.name}-[0-9a-f]{{{SETTINGS_HASH_LENGTH}}}", name)
        assert name == gke_pool_name(pool, pool_target(spec))
    # The longest pool name the stack file accepts still fits GKE's 40 characters.
    assert NODE_POOL_NAME_MAX + 1 + SETTINGS_HASH_LENGTH == 40


def test_hashed_settings_are_the_documented_ones() -> None:
    spec, pool = _prod_with("gpu-l4", taints=[{"key": "dedicated", "value": "serving"}])
    settings = fresh_node_settings(pool, pool_target(spec))
    assert set(settings) == {*FRESH_NODE_SETTINGS, "labels"}
    assert settings["labels"] == {
        "servestack.io/accelerator": "nvidia-l4",
        "servestack.io/pool": "gpu-l4",
    }
    assert settings["service_account"] == default_node_account(pool_target(spec)) == SA
    assert settings["taints"] == [
        {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"},
        {"key": "dedicated", "value": "serving", "effect": "NO_SCHEDULE"},
    ]


@pytest.mark.parametrize(
    "changes",
    [
        {"machineType": "g2-standard-16"},
        {"diskSizeGb": 300},
        {"diskType": "pd-ssd"},
        {"spot": True},
        # g2-standard-24 comes with 2 L4s (infra/gke/accelerators.py).
        {
            "machineType": "g2-standard-24",
            "gpu": {"type": "nvidia-l4", "count": 2},
            "autoscaling": {"max": 4},
        },
        {"gpu": {"type": "nvidia-l4", "driverVersion": "DEFAULT"}},
        {"gpu": {"type": "nvidia-l4", "sharing": {"strategy": "TIME_SHARING"}}},
        {"taints": [{"key": "dedicated", "value": "serving"}]},
        {"serviceAccount": "other@acme-ml-serving-prod.iam.gserviceaccount.com"},
    ],
)
def test_settings_that_need_fresh_nodes_rename_the_pool(changes: dict[str, Any]) -> None:
    spec = spec_of("prod")
    before = gke_pool_name(spec.node_pools[1], pool_target(spec))
    changed_spec, changed = _prod_with("gpu-l4", **changes)
    assert gke_pool_name(changed, pool_target(changed_spec)) != before


@pytest.mark.parametrize(
    "changes",
    [
        {"autoscaling": {"min": 1, "max": 3}},
        {"upgrade": {"strategy": "SURGE"}},
        {"labels": {"team-note": "x"}},
    ],
)
def test_in_place_settings_keep_the_pool_name(changes: dict[str, Any]) -> None:
    spec = spec_of("prod")
    before = gke_pool_name(spec.node_pools[1], pool_target(spec))
    changed_spec, changed = _prod_with("gpu-l4", **changes)
    assert gke_pool_name(changed, pool_target(changed_spec)) == before
    # Stack labels (cost-center, ...) update in place too.
    relabelled = variant("prod", labels={"team": "ml", "env": "prod", "cost-center": "cc-new"})
    assert gke_pool_name(relabelled.node_pools[1], pool_target(relabelled)) == before


def test_settings_hash_is_canonical_json() -> None:
    assert settings_hash({"a": 1, "b": [1, 2]}) == settings_hash({"b": [1, 2], "a": 1})
    assert settings_hash({"a": 1}) != settings_hash({"a": 2})
    assert len(settings_hash({})) == SETTINGS_HASH_LENGTH


def test_pool_taints_from_the_stack_file_reach_the_nodes() -> None:
    spec, pool = _prod_with("cpu", taints=[{"key": "dedicated", "effect": "NoExecute"}])
    config = node_config(pool, pool_target(spec), SA)
    assert config["taints"] == [{"key": "dedicated", "value": "", "effect": "NO_EXECUTE"}]


def test_long_or_reserved_pool_settings_are_config_errors() -> None:
    with pytest.raises(ValidationError, match="at most 33 characters"):
        _pool(name="p" * 34)
    with pytest.raises(ValidationError, match="set on GPU pools"):
        _pool(taints=[{"key": "nvidia.com/gpu"}])
    with pytest.raises(ValidationError, match="same key and effect"):
        _pool(taints=[{"key": "a", "value": "x"}, {"key": "a", "value": "y"}])


# A pool target built directly: no stack file, no StackSpec.
TARGET = PoolTarget(
    project="acme",
    location="europe-west1-b",
    cluster_name="edge",
    labels=StackLabels(team="ml", env="test", cost_center="cc-1"),
    workload_identity=True,
)


def test_a_pool_needs_only_its_entry_and_the_pool_target() -> None:
    pool = _pool(name="gpu", machineType="g2-standard-8", gpu={"type": "nvidia-l4"})
    args = node_pool_args(pool, TARGET)
    assert (args["project"], args["location"]) == ("acme", "europe-west1-b")
    assert re.fullmatch(rf"gpu-[0-9a-f]{{{SETTINGS_HASH_LENGTH}}}", args["name"])
    config = args["node_config"]
    assert config["tags"] == ["edge-node", "gpu"]
    assert config["resource_labels"] == {"team": "ml", "env": "test", "cost-center": "cc-1"}
    assert config["labels"]["servestack.io/pool"] == "gpu"
    assert config["labels"]["servestack.io/accelerator"] == "nvidia-l4"
    assert config["workload_metadata_config"] == {"mode": "GKE_METADATA"}
    assert default_node_account(TARGET) == "edge-nodes@acme.iam.gserviceaccount.com"


def test_without_workload_identity_nodes_expose_their_metadata() -> None:
    plain = PoolTarget(**{**TARGET.__dict__, "workload_identity": False})
    config = node_config(_pool(), plain, SA)
    assert config["workload_metadata_config"] == {"mode": "GCE_METADATA"}
    # The metadata mode needs fresh nodes, so it renames the pool.
    assert gke_pool_name(_pool(), plain) != gke_pool_name(_pool(), TARGET)


def test_the_pool_target_of_a_stack_is_its_cluster_and_project() -> None:
    spec = spec_of("prod")
    assert pool_target(spec) == PoolTarget(
        project="acme-ml-serving-prod",
        location="europe-west4",
        cluster_name="serve-prod",
        labels=spec.labels,
        workload_identity=True,
    )


class _Recorder(pulumi.runtime.Mocks):
    """Mocks that keep every resource's inputs by name."""

    def __init__(self) -> None:
        self.inputs: dict[str, dict[str, Any]] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.inputs[args.name] = dict(args.inputs)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def test_the_node_pool_component_runs_from_its_target_alone() -> None:
    mocks = _Recorder()
    pulumi.runtime.set_mocks(mocks, project="servestack", stack="unit", preview=True)
    pool = _pool(name="gpu", machineType="g2-standard-8", gpu={"type": "nvidia-l4"})
    account = "edge-nodes@acme.iam.gserviceaccount.com"

    def program() -> pulumi.Output[str]:
        args = NodePoolArgs(TARGET, pool, cluster="edge", service_account=account)
        return NodePool("edge-gpu", args).name

    run: Callable[[], None] = pulumi.runtime.test(program)  # type: ignore[no-untyped-call]
    run()
    inputs = mocks.inputs["edge-gpu-pool"]
    assert inputs["cluster"] == "edge"
    assert inputs["name"] == gke_pool_name(pool, TARGET)
    assert inputs["nodeConfig"]["serviceAccount"] == account
    assert inputs["nodeConfig"]["labels"]["servestack.io/pool"] == "gpu"
    assert inputs["nodeConfig"]["taints"] == [
        {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}
    ]
