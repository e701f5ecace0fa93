"""Container sizing rules: CPU/memory requests and limits, GPU requests, tolerations, images."""

from __future__ import annotations

from collections.abc import Iterator

from policies.base import Config, Resource, resource_policy, stack_policy
from policies.images import build_tags, parse_image
from policies.values import get, is_unknown
from policies.workloads import (
    container_name,
    gpu_count,
    pod_template,
    targets_gpu_nodes,
    tolerates_gpu_taint,
)

# The OCI annotation naming the base image a build starts from.
BASE_NAME_LABEL = "org.opencontainers.image.base.name"


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


def built_image_gpu(resources: list[Resource]) -> dict[str, bool]:
    """Each built tag (repository:tag) mapped to whether its base image is a GPU build."""
    found: dict[str, bool] = {}
    for resource in resources:
        base = get(resource.props, "labels", BASE_NAME_LABEL)
        if not isinstance(base, str) or is_unknown(base):
            continue
        found.update(dict.fromkeys(build_tags(resource), parse_image(base).gpu))
    return found


def _image_is_gpu(image: str, builds: dict[str, bool]) -> bool:
    """A built image by its base (the tag says nothing); any other by its name or tag."""
    built = builds.get(image.partition("@")[0])
    return parse_image(image).gpu if built is None else built


def check_gpu_image(resources: list[Resource], config: Config) -> Iterator[tuple[str, str]]:
    builds = built_image_gpu(resources)
    for resource in resources:
        template = pod_template(resource.type, resource.props)
        if template is None:
            continue
        for container in template.containers():
            image = container.get("image")
            count = gpu_count(container)
            if not isinstance(image, str) or is_unknown(image) or count is None:
                continue
            gpu_image = _image_is_gpu(image, builds)
            name = container_name(container)
            if count > 0 and not gpu_image:
                yield (
                    f"container {name!r} requests nvidia.com/gpu but runs CPU image {image}",
                    resource.urn,
                )
            if count == 0 and gpu_image:
                yield (
                    f"container {name!r} requests no GPU but runs GPU image {image}",
                    resource.urn,
                )


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
    stack_policy(
        "gpu-image-match",
        "A GPU request goes with a GPU image, a CPU container with a CPU image.",
        check_gpu_image,
    ),
]
