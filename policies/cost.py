"""Cost guard: the GPUs all GPU node pools may scale to stay within the stack's budget."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from policies.base import Config, Resource, stack_policy
from policies.cluster import CLUSTER, NODE_POOL, gpus_per_node
from policies.values import UNKNOWN, as_dict, as_number, get, is_unknown

ZONE = re.compile(r"^[a-z]+-[a-z]+\d+-[a-z]$")
REGION_ZONES = 3


@dataclass(frozen=True)
class GpuPool:
    """A GPU node pool's upper bound of GPUs, with how it was derived."""

    resource: Resource
    max_gpus: float
    derivation: str


def _zone_count(locations: Any, location: Any) -> int | None:
    """Zones a pool spans: its node locations, else 1 for a zone or 3 for a region."""
    if isinstance(locations, list) and locations:
        return len(locations)
    if isinstance(location, str) and not is_unknown(location):
        return 1 if ZONE.match(location) else REGION_ZONES
    return None


def _cluster_for(pool: Resource, clusters: list[Resource]) -> Resource | None:
    ref = get(pool.props, "cluster")
    for cluster in clusters:
        if ref in (cluster.name, get(cluster.props, "name")) or (
            isinstance(ref, str) and ref.endswith(f"/clusters/{get(cluster.props, 'name')}")
        ):
            return cluster
    return clusters[0] if len(clusters) == 1 else None


def _zones(pool: Resource, clusters: list[Resource]) -> int:
    zones = _zone_count(get(pool.props, "nodeLocations"), get(pool.props, "location"))
    if zones is None:
        cluster = _cluster_for(pool, clusters)
        if cluster is not None:
            zones = _zone_count(get(cluster.props, "nodeLocations"), get(cluster.props, "location"))
    # Unknown location: count one zone, a lower bound, so any reported excess is real.
    return zones or 1


def gpu_pools(resources: list[Resource]) -> list[GpuPool]:
    """Every GPU node pool with a known upper bound of GPUs."""
    clusters = [r for r in resources if r.type == CLUSTER]
    found: list[GpuPool] = []
    for resource in resources:
        if resource.type != NODE_POOL:
            continue
        per_node = gpus_per_node(as_dict(get(resource.props, "nodeConfig")))
        if not per_node:
            continue
        autoscaling = get(resource.props, "autoscaling")
        if autoscaling is UNKNOWN:
            continue
        total = as_number(get(as_dict(autoscaling), "totalMaxNodeCount"))
        per_zone = as_number(get(as_dict(autoscaling), "maxNodeCount"))
        fixed = get(resource.props, "nodeCount")
        if fixed is None:
            fixed = get(resource.props, "initialNodeCount")
        count = per_zone if per_zone is not None else as_number(fixed)
        if total is not None:
            nodes, how = total, f"{total:g} nodes in total"
        elif count is not None:
            zones = _zones(resource, clusters)
            nodes, how = count * zones, f"{count:g} nodes x {zones} zones"
        else:
            continue
        found.append(GpuPool(resource, nodes * per_node, f"{how} x {per_node:g} GPUs"))
    return found


def check_gpu_budget(resources: list[Resource], config: Config) -> Iterator[tuple[str, str]]:
    budget = as_number(config.get("gpuBudget"))
    if budget is None:
        return
    pools = gpu_pools(resources)
    total = sum(pool.max_gpus for pool in pools)
    if total > budget:
        parts = ", ".join(
            f"{pool.resource.name}: {pool.derivation} = {pool.max_gpus:g}" for pool in pools
        )
        yield f"GPU pools can scale to {total:g} GPUs, over the budget of {budget:g} ({parts})", ""


def check_replacement_overlap(
    resources: list[Resource], config: Config
) -> Iterator[tuple[str, str]]:
    """A GPU pool replaced create-before-delete holds its GPUs twice during the swap.

    Explicitly named pools default to delete-before-create in the Terraform bridge
    (pulumi/pulumi-terraform-bridge pkg/tfbridge/provider.go:1275); `deleteBeforeReplace:
    false` (pulumi/pulumi#3118) asks for the overlap, which the budget must cover.
    """
    budget = as_number(config.get("gpuBudget"))
    if budget is None:
        return
    pools = gpu_pools(resources)
    total = sum(pool.max_gpus for pool in pools)
    for pool in pools:
        if pool.resource.delete_before_replace is False and total + pool.max_gpus > budget:
            yield (
                f"{pool.resource.name} is replaced create-before-delete, which needs "
                f"{total + pool.max_gpus:g} GPUs during the swap ({total:g} of all pools + "
                f"{pool.max_gpus:g} of the new pool), over the budget of {budget:g}; "
                "replace it delete-before-create or raise the budget",
                pool.resource.urn,
            )


POLICIES = [
    stack_policy(
        "gpu-budget",
        "The GPUs all GPU node pools can scale to stay within the stack's GPU budget.",
        check_gpu_budget,
        {"gpuBudget": {"type": "integer", "minimum": 0}},
    ),
    stack_policy(
        "gpu-replacement-overlap",
        "A GPU pool replaced create-before-delete fits in the GPU budget twice over.",
        check_replacement_overlap,
        {"gpuBudget": {"type": "integer", "minimum": 0}},
    ),
]
