"""Where a workload lands: node selector and tolerations for one node pool.

The serving layer schedules onto pools through this value only, so the pool's taint and
labels are named in one place. Pods select a pool by servestack's own stable node label
`servestack.io/pool: <pool name>`, never by GKE's `cloud.google.com/gke-nodepool`: the GKE
pool name carries a settings hash and changes whenever the pool is rolled (see nodepool.py),
while Deployments must stay untouched by a pool roll.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from infra.config import NodePoolSpec, TaintSpec

NODE_POOL_LABEL = "servestack.io/pool"
GKE_ACCELERATOR_LABEL = "cloud.google.com/gke-accelerator"
ACCELERATOR_LABEL = "servestack.io/accelerator"
GPU_TAINT_KEY = "nvidia.com/gpu"
GPU_TAINT_VALUE = "present"
# Kubernetes spelling of a taint effect -> the GKE API's.
GKE_TAINT_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}
# Node labels that workloads or policies select on: part of a pool's settings hash.
SELECTED_NODE_LABELS = (NODE_POOL_LABEL, ACCELERATOR_LABEL)


@dataclass(frozen=True)
class PoolPlacement:
    """Scheduling constraints that put a pod on one node pool (and tolerate its taints)."""

    pool: str
    gpu_type: str | None
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: list[dict[str, str]] = field(default_factory=list)


def gpu_taint() -> dict[str, str]:
    """The taint every GPU pool carries, in the GKE API's spelling of the effect."""
    return {"key": GPU_TAINT_KEY, "value": GPU_TAINT_VALUE, "effect": "NO_SCHEDULE"}


def gpu_toleration() -> dict[str, str]:
    """The Kubernetes toleration matching `gpu_taint`."""
    return {
        "key": GPU_TAINT_KEY,
        "operator": "Equal",
        "value": GPU_TAINT_VALUE,
        "effect": "NoSchedule",
    }


def pool_taints(pool: NodePoolSpec) -> list[dict[str, str]]:
    """GKE taints of a pool's nodes: the GPU taint first, then the stack file's."""
    taints = [gpu_taint()] if pool.gpu is not None else []
    return taints + [
        {"key": t.key, "value": t.value, "effect": GKE_TAINT_EFFECTS[t.effect]} for t in pool.taints
    ]


def taint_toleration(taint: TaintSpec) -> dict[str, str]:
    """Tolerate a pool taint by key and effect, whatever its value: a changed value rolls the
    pool (new nodes, same label) without touching the Deployments placed on it."""
    return {"key": taint.key, "operator": "Exists", "effect": taint.effect}


def pool_tolerations(pool: NodePoolSpec) -> list[dict[str, str]]:
    """Tolerations matching `pool_taints`."""
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
    return PoolPlacement(
        pool=pool.name,
        gpu_type=None if pool.gpu is None else pool.gpu.type,
        node_selector={NODE_POOL_LABEL: pool.name},
        tolerations=pool_tolerations(pool),
    )
