"""Where a workload lands: the node labels, taints and tolerations that tie pods to a pool.

Both sides speak this vocabulary: the platform puts the labels and taints on a pool's
nodes, the serving layer schedules onto a pool through a `PoolPlacement` alone, so neither
imports the other. Pods select a pool by servestack's own stable node label
`servestack.io/pool: <pool name>`, never by GKE's `cloud.google.com/gke-nodepool`: the GKE
pool name carries a settings hash and changes whenever the pool is rolled
(infra/platform/nodepool.py), while Deployments must stay untouched by a pool roll.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from infra.config.nodepools import NodePoolSpec, TaintSpec

NODE_POOL_LABEL = "servestack.io/pool"
GKE_ACCELERATOR_LABEL = "cloud.google.com/gke-accelerator"
ACCELERATOR_LABEL = "servestack.io/accelerator"
GPU_TAINT_KEY = "nvidia.com/gpu"
GPU_TAINT_VALUE = "present"
# Node labels that workloads or policies select on: part of a pool's settings hash.
SELECTED_NODE_LABELS = (NODE_POOL_LABEL, ACCELERATOR_LABEL)


@dataclass(frozen=True)
class PoolPlacement:
    """Scheduling constraints that put a pod on one node pool (and tolerate its taints)."""

    pool: str
    """Name of the pool (the stack file's `nodePools[].name`, not the hashed GKE name)."""
    gpu_type: str | None
    """Accelerator type of the pool's nodes; None for a CPU pool."""
    node_selector: dict[str, str] = field(default_factory=dict)
    """Node labels a pod must match to land on the pool."""
    tolerations: list[dict[str, str]] = field(default_factory=list)
    """Kubernetes tolerations of the pool's taints (the GPU taint first)."""
    location_policy: Literal["BALANCED", "ANY"] = "BALANCED"
    """The pool's autoscaling location policy; ANY may leave zones without nodes."""
    shared_clients_per_gpu: int | None = None
    """Containers that share one GPU of the pool; None: GPUs are not shared."""


def gpu_toleration() -> dict[str, str]:
    """The Kubernetes toleration of the taint every GPU pool carries."""
    return {
        "key": GPU_TAINT_KEY,
        "operator": "Equal",
        "value": GPU_TAINT_VALUE,
        "effect": "NoSchedule",
    }


def taint_toleration(taint: TaintSpec) -> dict[str, str]:
    """Tolerate a pool taint by key and effect, whatever its value: a changed value rolls the
    pool (new nodes, same label) without touching the Deployments placed on it."""
    return {"key": taint.key, "operator": "Exists", "effect": taint.effect}


def pool_tolerations(pool: NodePoolSpec) -> list[dict[str, str]]:
    """Tolerations of the pool's taints: the GPU taint first, then the stack file's."""
    tolerations = [gpu_toleration()] if pool.gpu is not None else []
    return tolerations + [taint_toleration(t) for t in pool.taints]


def pool_node_labels(pool: NodePoolSpec, stack_labels: dict[str, str]) -> dict[str, str]:
    """Node labels: stack labels, pool labels, then servestack's pool and accelerator labels."""
    labels = {**stack_labels, **pool.labels, NODE_POOL_LABEL: pool.name}
    if pool.gpu is not None:
        labels[ACCELERATOR_LABEL] = pool.gpu.type
    return dict(sorted(labels.items()))


def pool_placement(pool: NodePoolSpec) -> PoolPlacement:
    """Pin to the pool by its stable `servestack.io/pool` label and tolerate its taints.

    The pool label alone selects the nodes (a GPU pool's nodes are all GPU nodes), so the
    pod spec does not change when the pool's settings, and hence its GKE name, change.
    """
    gpu = pool.gpu
    return PoolPlacement(
        pool=pool.name,
        gpu_type=None if gpu is None else gpu.type,
        node_selector={NODE_POOL_LABEL: pool.name},
        tolerations=pool_tolerations(pool),
        location_policy=pool.autoscaling.location_policy,
        shared_clients_per_gpu=(
            None if gpu is None or gpu.sharing is None else gpu.sharing.max_shared_clients_per_gpu
        ),
    )


def placements(pools: tuple[NodePoolSpec, ...] | list[NodePoolSpec]) -> dict[str, PoolPlacement]:
    """Scheduling constraints per pool name, in stack-file order."""
    return {pool.name: pool_placement(pool) for pool in pools}
