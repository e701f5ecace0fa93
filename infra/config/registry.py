"""The `registry` and `images` sections: where model images are pushed and how they are built."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from infra.config.shared import DnsLabel, Strict


class CleanupSpec(Strict):
    keep_recent: int = Field(10, ge=1, le=1000)
    """Most recent image versions always kept, tagged or not."""
    delete_untagged_after_days: int = Field(7, ge=1, le=3650)
    """Untagged images older than this many days are deleted."""


class BuildCacheSpec(Strict):
    """The build cache's own repository: its tags are rewritten by every build, so it never
    shares the (possibly immutable) image repository."""

    repository: DnsLabel | None = None
    """Repository of the build cache; unset: `<registry.repository>-buildcache`."""
    max_age_days: int = Field(30, ge=1, le=3650)
    """Cache entries older than this many days are deleted, unless among the newest."""
    keep_recent: int = Field(2, ge=1, le=100)
    """Newest cache versions per server always kept."""


class RegistrySpec(Strict):
    repository: DnsLabel = "models"
    """Artifact Registry repository name holding the model server images."""
    immutable_tags: bool = False
    """Reject pushing a tag that already exists."""
    cleanup: CleanupSpec = CleanupSpec()
    """Artifact Registry cleanup policies for old images."""
    protect: bool = False
    """Refuse to delete the repository, and keep it if removed from the stack."""
    build_cache: BuildCacheSpec = BuildCacheSpec()
    """Repository (tags overwritable) and cleanup of the build cache, with images.registryCache."""

    @property
    def cache_repository(self) -> str:
        return self.build_cache.repository or f"{self.repository}-buildcache"

    @model_validator(mode="after")
    def _cache_apart(self) -> Self:
        if self.cache_repository == self.repository:
            raise ValueError(
                "buildCache.repository: must differ from repository: the cache rewrites its "
                "tags, which an image repository with immutable tags rejects"
            )
        return self


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
    """Reuse and update a build cache in its own repository (registry.buildCache)."""
    # Real builds refuse a base image without a digest in model_images/base-images.lock.
    allow_unpinned_base: bool = False
    """Build on a base image not pinned by digest in the lock file."""
