"""Where a workload lands: node selector and tolerations for one node pool.

The serving layer schedules onto pools through this value only, so the pool's taint and
labels are named in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from infra.config import NodePoolSpec

NODE_POOL_LABEL = "cloud.google.com/gke-nodepool"
GKE_ACCELERATOR_LABEL = "cloud.google.com/gke-accelerator"
ACCELERATOR_LABEL = "servestack.io/accelerator"
GPU_TAINT_KEY = "nvidia.com/gpu"
GPU_TAINT_VALUE = "present"


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


def pool_node_labels(pool: NodePoolSpec, stack_labels: dict[str, str]) -> dict[str, str]:
    """Kubernetes labels of a pool's nodes: stack labels, pool labels, accelerator label."""
    labels = {**stack_labels, **pool.labels}
    if pool.gpu is not None:
        labels[ACCELERATOR_LABEL] = pool.gpu.type
    return dict(sorted(labels.items()))


def pool_placement(pool: NodePoolSpec) -> PoolPlacement:
    """Pin to the pool by GKE's own pool label; GPU pools add their accelerator and toleration."""
    selector = {NODE_POOL_LABEL: pool.name}
    if pool.gpu is None:
        return PoolPlacement(pool=pool.name, gpu_type=None, node_selector=selector)
    selector[ACCELERATOR_LABEL] = pool.gpu.type
    return PoolPlacement(
        pool=pool.name,
        gpu_type=pool.gpu.type,
        node_selector=dict(sorted(selector.items())),
        tolerations=[gpu_toleration()],
    )
