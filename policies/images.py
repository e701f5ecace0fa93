"""Image rules: allowed registries only, pinned by digest, never `latest`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from policies.base import Config, Resource, resource_policy
from policies.values import as_list, is_unknown
from policies.workloads import container_name, pod_template

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_GPU_TOKEN = re.compile(r"(^|[-_.])gpu($|[-_.])")
BUILD_IMAGE_TYPE = "docker-build:index:Image"


@dataclass(frozen=True)
class ImageRef:
    """An image reference split into repository (with registry host), tag and digest."""

    repository: str
    tag: str | None
    digest: str | None

    @property
    def gpu(self) -> bool:
        """GPU builds are named `<server>-gpu` (or carry a `gpu` token in the tag)."""
        name = self.repository.rsplit("/", 1)[-1]
        return name.endswith("-gpu") or bool(self.tag and _GPU_TOKEN.search(self.tag))


def parse_image(ref: str) -> ImageRef:
    name, _, digest = ref.partition("@")
    colon = name.rfind(":")
    if colon > name.rfind("/"):
        return ImageRef(name[:colon], name[colon + 1 :] or None, digest or None)
    return ImageRef(name, None, digest or None)


def container_images(resource: Resource) -> Iterator[tuple[str, str]]:
    """(container name, image) of every container and init container with a known image."""
    template = pod_template(resource.type, resource.props)
    if template is None:
        return
    for container in template.containers(init=True):
        image = container.get("image")
        if isinstance(image, str) and not is_unknown(image):
            yield container_name(container), image


def build_tags(resource: Resource) -> Iterator[str]:
    """Every known tag of an image build; nothing for other resources."""
    if resource.type != BUILD_IMAGE_TYPE:
        return
    for tag in as_list(resource.props.get("tags")):
        if isinstance(tag, str) and not is_unknown(tag):
            yield tag


def _image_refs(resource: Resource) -> Iterator[tuple[str, str]]:
    """(what, image) of every known container image and build tag of a resource."""
    for name, image in container_images(resource):
        yield f"container {name!r}", image
    for tag in build_tags(resource):
        yield "build tag", tag


def check_registry(resource: Resource, config: Config) -> Iterator[str]:
    allowed = [p for p in as_list(config.get("allowedRegistries")) if isinstance(p, str)]
    if not allowed:
        return
    for what, image in _image_refs(resource):
        if not any(image.startswith(prefix) for prefix in allowed):
            yield f"{what} image {image} is not from an allowed registry ({', '.join(allowed)})"


# Where a workload's image is pinned (a lock file and the command that fills it), when it is
# not one servestack builds; the verdict names it so the fix is one command away.
PINNED_BY_ANNOTATION = "servestack.io/pinned-by"


def _pinned_by(resource: Resource) -> str | None:
    metadata = resource.props.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    hint = annotations.get(PINNED_BY_ANNOTATION) if isinstance(annotations, dict) else None
    return hint if isinstance(hint, str) and not is_unknown(hint) else None


def check_digest(resource: Resource, config: Config) -> Iterator[str]:
    hint = _pinned_by(resource)
    for name, image in container_images(resource):
        digest = parse_image(image).digest
        if digest is None or not DIGEST.match(digest):
            where = f"; pin it in {hint}" if hint else ""
            yield f"container {name!r} image {image} is not pinned by digest (@sha256:...){where}"


def check_latest(resource: Resource, config: Config) -> Iterator[str]:
    for what, image in _image_refs(resource):
        ref = parse_image(image)
        if ref.tag == "latest" or (ref.tag is None and ref.digest is None):
            yield f"{what} image {image} uses the latest tag"


REGISTRY_SCHEMA: dict[str, dict[str, Any]] = {
    "allowedRegistries": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Image reference prefixes allowed, e.g. the stack's Artifact Registry.",
    }
}

POLICIES = [
    resource_policy(
        "image-allowed-registry",
        "Images come from the stack's own registry.",
        check_registry,
        REGISTRY_SCHEMA,
    ),
    resource_policy(
        "image-pinned-by-digest",
        "Container images are pinned by digest so a tag move cannot change what runs.",
        check_digest,
    ),
    resource_policy(
        "image-no-latest-tag",
        "Images never use the mutable `latest` tag.",
        check_latest,
    ),
]
