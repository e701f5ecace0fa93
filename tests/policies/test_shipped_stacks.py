"""Real captured plans: every shipped stack passes its own policy config, and the rules
see the real resource shapes (a change to a captured plan trips the expected rule)."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from infra.preview.engine import run_offline
from policies.engine import evaluate, load_policy_config

ROOT = Path(__file__).resolve().parents[2]


@cache
def captured(stack: str) -> tuple[dict[str, Any], ...]:
    plan = run_offline(ROOT, stack, with_policies=False)
    return tuple(r.to_json() for r in plan.resources)


def resources(stack: str) -> list[dict[str, Any]]:
    return copy.deepcopy(list(captured(stack)))


def policies_hit(stack: str, items: list[dict[str, Any]]) -> set[str]:
    return {v.policy for v in evaluate(items, load_policy_config(ROOT, stack))}


def one(items: list[dict[str, Any]], type_: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in items if r["type"] == type_ and r["name"] == name)
    return found


@pytest.mark.parametrize("stack", ["local", "dev", "staging", "prod"])
def test_shipped_stack_passes_its_own_policy_config(stack: str) -> None:
    assert evaluate(list(captured(stack)), load_policy_config(ROOT, stack)) == []


def test_real_prod_plan_trips_workload_rules() -> None:
    items = resources("prod")
    resnet = one(items, "kubernetes:apps/v1:Deployment", "resnet")["inputs"]
    resnet["spec"]["template"]["spec"]["containers"][0]["image"] = "tensorflow/serving:latest"
    inception = one(items, "kubernetes:apps/v1:Deployment", "inception")["inputs"]
    inception["spec"]["template"]["spec"].pop("tolerations")
    items = [r for r in items if r["name"] != "resnet-pdb"]
    assert policies_hit("prod", items) == {
        "image-allowed-registry",
        "image-pinned-by-digest",
        "image-no-latest-tag",
        "gpu-scheduling",
        "pdb-for-autoscaled",
    }


def test_real_prod_plan_trips_platform_rules() -> None:
    items = resources("prod")
    cluster = one(items, "gcp:container/cluster:Cluster", "platform-cluster-gke")["inputs"]
    cluster["privateClusterConfig"]["enablePrivateNodes"] = False
    pool = one(items, "gcp:container/nodePool:NodePool", "platform-gpu-l4-pool")["inputs"]
    pool["nodeConfig"].pop("taints")
    pool["autoscaling"] = {"maxNodeCount": 6}
    assert policies_hit("prod", items) == {
        "gke-private-nodes",
        "gpu-node-pool-taint",
        "gpu-budget",
        # The pool is replaced create-before-delete: 18 GPUs twice exceed the budget too.
        "gpu-replacement-overlap",
    }


def test_real_staging_canary_is_exempt_from_min_replicas_only_by_its_track() -> None:
    items = resources("staging")
    canary = one(items, "kubernetes:apps/v1:Deployment", "resnet-canary")["inputs"]
    assert "replicas" not in canary["spec"]  # its own HPA, at its weight's share, sizes it
    hpa = one(items, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "resnet-canary-hpa")
    assert hpa["inputs"]["spec"]["minReplicas"] == 1
    canary["spec"]["template"]["metadata"]["labels"]["servestack.io/track"] = "stable"
    canary["metadata"]["labels"]["servestack.io/track"] = "stable"
    assert policies_hit("staging", items) == {"min-replicas"}
