"""Container sizing rules: CPU/memory requests and limits, GPU requests, tolerations, images."""

from __future__ import annotations

from collections.abc import Iterator

from policies.base import Config, Resource, resource_policy
from policies.images import parse_image
from policies.values import get, is_unknown
from policies.workloads import (
    ACCELERATOR_LABELS,
    container_name,
    gpu_count,
    pod_template,
    targets_gpu_nodes,
    tolerates_gpu_taint,
)


def check_resources(resource: Resource, config: Config) -> Iterator[str]:
    template = pod_template(resource.type, resource.props)
    if template is None:
        return
    for container in template.containers(init=True):
        missing = [
            f"{section}.{name}"
            for section in ("requests", "limits")
            for name in ("cpu", "memory")
            if get(container, "resources", section, name) is None
        ]
        if missing:
            yield f"container {container_name(container)!r} has no {', '.join(missing)}"


def check_gpu_scheduling(resource: Resource, config: Config) -> Iterator[str]:
    template = pod_template(resource.type, resource.props)
    if template is None:
        return
    wants_gpu_nodes = targets_gpu_nodes(template)
    gpu_requested = False
    for container in template.containers():
        count = gpu_count(container)
        if count is None:
            return
        if count > 0:
            gpu_requested = True
    if wants_gpu_nodes and not gpu_requested:
        yield "pod is placed on GPU nodes but no container requests nvidia.com/gpu"
    if (gpu_requested or wants_gpu_nodes) and not tolerates_gpu_taint(template):
        yield "GPU pod does not tolerate the nvidia.com/gpu NoSchedule taint"


def check_gpu_image(resource: Resource, config: Config) -> Iterator[str]:
    template = pod_template(resource.type, resource.props)
    if template is None:
        return
    accelerator_label = any(key in template.labels for key in ACCELERATOR_LABELS)
    for container in template.containers():
        image = container.get("image")
        count = gpu_count(container)
        if not isinstance(image, str) or is_unknown(image) or count is None:
            continue
        gpu_image = parse_image(image).gpu
        name = container_name(container)
        if count > 0 and not (gpu_image or accelerator_label):
            yield f"container {name!r} requests nvidia.com/gpu but runs CPU image {image}"
        if count == 0 and gpu_image:
            yield f"container {name!r} requests no GPU but runs GPU image {image}"


POLICIES = [
    resource_policy(
        "container-resources",
        "Every container sets CPU and memory requests and limits.",
        check_resources,
    ),
    resource_policy(
        "gpu-scheduling",
        "GPU pods request nvidia.com/gpu and tolerate the GPU node taint.",
        check_gpu_scheduling,
    ),
    resource_policy(
        "gpu-image-match",
        "A GPU request goes with a GPU image, a CPU container with a CPU image.",
        check_gpu_image,
    ),
]
