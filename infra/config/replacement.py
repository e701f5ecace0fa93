"""How each node pool is replaced: create-before-delete or delete-before-create, and why.

pulumi-gcp autonames `google_container_node_pool.name`; servestack sets it explicitly (the
settings-hash name, infra/platform/nodepool.py). For such a resource the Terraform bridge
answers Diff with `deleteBeforeReplace: true` whenever a replacement is needed:
pulumi/pulumi-terraform-bridge pkg/tfbridge/provider.go:1275 (`deleteBeforeReplace :=
len(replaces) > 0 && (... || nameRequiresDeleteBeforeReplace(...))`) and
pkg/tfbridge/schema.go:195-245 (`nameRequiresDeleteBeforeReplace`: an autonameable input
whose value did not come from the autonamer, line 240), introduced by
https://github.com/pulumi/pulumi-terraform/pull/465. Only an explicit
`deleteBeforeReplace: false` resource option overrides it
(https://github.com/pulumi/pulumi/pull/3118). So every pool states its order explicitly.

Create-before-delete keeps serving capacity through the swap but, for a GPU pool, needs room
in `gpuBudget` for the old and the new pool at once: the other pools' ceilings plus this
pool's ceiling twice. Where the budget has no such room the pool is replaced
delete-before-create and the plan says so (an outage of the pool's workloads until the new
nodes are up).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from infra.config.nodepools import NodePoolSpec

# A regional pool's per-zone bounds apply in each of GKE's default three zones.
REGIONAL_ZONES = 3

Order = Literal["create-before-delete", "delete-before-create"]


def gpu_ceiling(pool: NodePoolSpec, regional: bool) -> int:
    """Most GPUs the pool can scale to: max nodes x GPUs per node (x zones when per zone)."""
    zones = REGIONAL_ZONES if pool.autoscaling.per_zone and regional else 1
    return pool.max_gpus * zones


@dataclass(frozen=True)
class PoolReplacement:
    """The replacement order of one pool and the reason, as the plan states it."""

    order: Order
    reason: str

    @property
    def delete_before_replace(self) -> bool:
        return self.order == "delete-before-create"


def choose_replacement(
    pool: NodePoolSpec, pools: Sequence[NodePoolSpec], gpu_budget: int, regional: bool
) -> PoolReplacement:
    """The pool's order: its `replacement` setting, or (auto) what the GPU budget allows."""
    ceiling = gpu_ceiling(pool, regional)
    committed = sum(gpu_ceiling(p, regional) for p in pools)
    headroom = gpu_budget - committed
    if pool.replacement == "deleteBeforeCreate":
        return PoolReplacement(
            "delete-before-create",
            "chosen in the stack file: the old pool is deleted first; its pods are "
            "Pending until the new pool's nodes are up",
        )
    if ceiling == 0:
        return PoolReplacement(
            "create-before-delete",
            "CPU pool: the new pool is up before the old one is drained "
            "(needs CPU quota for both pools during the swap)",
        )
    if headroom >= ceiling:
        return PoolReplacement(
            "create-before-delete",
            f"gpuBudget {gpu_budget} covers the overlap: {committed} GPUs of all pools "
            f"+ {ceiling} of the new pool",
        )
    return PoolReplacement(
        "delete-before-create",
        f"gpuBudget {gpu_budget} cannot cover the overlap ({committed} GPUs of all pools "
        f"+ {ceiling} of the new pool): outage of the pool's workloads until the new "
        "nodes are up",
    )
