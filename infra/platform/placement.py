"""The GKE side of pool placement: the taints a pool's nodes carry, in the GKE API's spelling.

The shared vocabulary (labels, tolerations, `PoolPlacement`) lives beside the spec in
infra/config/placement.py, so the serving layer needs nothing from the platform.
"""

from __future__ import annotations

import pulumi_gcp as gcp

from infra.config import NodePoolSpec
from infra.config.placement import (
    ACCELERATOR_LABEL,
    GKE_ACCELERATOR_LABEL,
    GPU_TAINT_KEY,
    GPU_TAINT_VALUE,
    NODE_POOL_LABEL,
    SELECTED_NODE_LABELS,
    PoolPlacement,
    gpu_toleration,
    placements,
    pool_node_labels,
    pool_placement,
    pool_tolerations,
    taint_toleration,
)

__all__ = [
    "ACCELERATOR_LABEL",
    "GKE_ACCELERATOR_LABEL",
    "GKE_TAINT_EFFECTS",
    "GPU_TAINT_KEY",
    "GPU_TAINT_VALUE",
    "NODE_POOL_LABEL",
    "SELECTED_NODE_LABELS",
    "PoolPlacement",
    "gpu_taint",
    "gpu_toleration",
    "placements",
    "pool_node_labels",
    "pool_placement",
    "pool_taints",
    "pool_tolerations",
    "taint_toleration",
]

# Kubernetes spelling of a taint effect -> the GKE API's.
GKE_TAINT_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}


def gpu_taint() -> gcp.container.NodePoolNodeConfigTaintArgsDict:
    """The taint every GPU pool carries, in the GKE API's spelling of the effect."""
    return {"key": GPU_TAINT_KEY, "value": GPU_TAINT_VALUE, "effect": "NO_SCHEDULE"}


def pool_taints(pool: NodePoolSpec) -> list[gcp.container.NodePoolNodeConfigTaintArgsDict]:
    """GKE taints of a pool's nodes: the GPU taint first, then the stack file's."""
    taints = [gpu_taint()] if pool.gpu is not None else []
    for taint in pool.taints:
        taints.append(
            {"key": taint.key, "value": taint.value, "effect": GKE_TAINT_EFFECTS[taint.effect]}
        )
    return taints
