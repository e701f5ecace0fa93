"""The `registry` and `images` sections: where model images are pushed and how they are built."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from infra.config.shared import DnsLabel, Strict


class CleanupSpec(Strict):
    keep_recent: int = Field(10, ge=1, le=1000)
    """Most recent image versions always kept, tagged or not."""
    delete_untagged_after_days: int = Field(7, ge=1, le=3650)
    """Untagged images older than this many days are deleted."""


class RegistrySpec(Strict):
    repository: DnsLabel = "models"
    """Artifact Registry repository name holding the model server images."""
    immutable_tags: bool = False
    """Reject pushing a tag that already exists."""
    cleanup: CleanupSpec = CleanupSpec()
    """Artifact Registry cleanup policies for old images."""
    protect: bool = False
    """Refuse to delete the repository, and keep it if removed from the stack."""


class ImagesSpec(Strict):
    tf_serving_version: Annotated[str, StringConstraints(pattern=r"^2\.\d+\.\d+$")] = "2.19.1"
    """tensorflow/serving release the model images are built on."""
    platform: Literal["linux/amd64", "linux/arm64"] = "linux/amd64"
    """CPU architecture of the built images; match the nodes."""
    build_on_preview: bool = False
    """Also build images during a preview (slower; proves the build works)."""
    push: bool = True
    """Push built images to the registry; off: build only."""
    registry_cache: bool = True
    """Reuse and update a build cache stored in the registry."""
    # Real builds refuse a base image without a digest in model_images/base-images.lock.
    allow_unpinned_base: bool = False
    """Build on a base image not pinned by digest in the lock file."""
