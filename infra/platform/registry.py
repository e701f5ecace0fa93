"""The stack's Artifact Registry Docker repository, its cleanup policies and who may pull."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypedDict

import pulumi
import pulumi_gcp as gcp

from infra.config import RegistrySpec
from infra.config.targets import GcpTarget
from infra.platform.identity import REGISTRY_READER_ROLE
from infra.platform.replace_order import fixed_name_options

SECONDS_PER_DAY = 86_400


def registry_location(target: GcpTarget) -> str:
    """Repositories live in the stack's region, next to the cluster's nodes."""
    return target.region


def registry_url(location: str, project: str, repository: str) -> str:
    """Docker host/path of a repository, e.g. europe-west4-docker.pkg.dev/p/models."""
    return f"{location}-docker.pkg.dev/{project}/{repository}"


class RepositoryInputs(TypedDict):
    """The inputs of the `gcp.artifactregistry.Repository`."""

    repository_id: str
    project: str
    location: str
    format: str
    mode: str
    description: str
    labels: dict[str, str]
    docker_config: gcp.artifactregistry.RepositoryDockerConfigArgsDict
    cleanup_policy_dry_run: bool
    cleanup_policies: list[gcp.artifactregistry.RepositoryCleanupPolicyArgsDict]


def cleanup_policies(
    registry: RegistrySpec,
) -> list[gcp.artifactregistry.RepositoryCleanupPolicyArgsDict]:
    """Keep the N most recent versions; delete untagged versions older than N days.

    KEEP wins over DELETE in Artifact Registry, so recent untagged builds survive too.
    """
    cleanup = registry.cleanup
    return [
        {
            "id": "delete-untagged",
            "action": "DELETE",
            "condition": {
                "tag_state": "UNTAGGED",
                "older_than": f"{cleanup.delete_untagged_after_days * SECONDS_PER_DAY}s",
            },
        },
        {
            "id": "keep-recent",
            "action": "KEEP",
            "most_recent_versions": {"keep_count": cleanup.keep_recent},
        },
    ]


def _docker_repository(
    repository_id: str,
    description: str,
    immutable_tags: bool,
    policies: list[gcp.artifactregistry.RepositoryCleanupPolicyArgsDict],
    target: GcpTarget,
) -> RepositoryInputs:
    """A Docker repository of the stack, in the registry's region, with the stack's labels."""
    return {
        "repository_id": repository_id,
        "project": target.project,
        "location": registry_location(target),
        "format": "DOCKER",
        "mode": "STANDARD_REPOSITORY",
        "description": f"{description} ({target.labels.env})",
        "labels": target.labels.as_dict(),
        "docker_config": {"immutable_tags": immutable_tags},
        "cleanup_policy_dry_run": False,
        "cleanup_policies": policies,
    }


def repository_args(registry: RegistrySpec, target: GcpTarget) -> RepositoryInputs:
    return _docker_repository(
        registry.repository,
        "servestack model server images",
        registry.immutable_tags,
        cleanup_policies(registry),
        target,
    )


def cache_cleanup_policies(
    registry: RegistrySpec,
) -> list[gcp.artifactregistry.RepositoryCleanupPolicyArgsDict]:
    """Each build rewrites its cache tag, leaving the previous cache untagged: drop those
    after a day, and any cache older than maxAgeDays unless among the newest per server."""
    cache = registry.build_cache
    return [
        {
            "id": "delete-overwritten",
            "action": "DELETE",
            "condition": {"tag_state": "UNTAGGED", "older_than": f"{SECONDS_PER_DAY}s"},
        },
        {
            "id": "delete-old",
            "action": "DELETE",
            "condition": {
                "tag_state": "ANY",
                "older_than": f"{cache.max_age_days * SECONDS_PER_DAY}s",
            },
        },
        {
            "id": "keep-recent",
            "action": "KEEP",
            "most_recent_versions": {"keep_count": cache.keep_recent},
        },
    ]


def cache_repository_args(registry: RegistrySpec, target: GcpTarget) -> RepositoryInputs:
    """The build cache's repository: tags overwritable, always (docs/environments.md)."""
    # Every build rewrites its cache tag: immutable tags would reject the second push.
    return _docker_repository(
        registry.cache_repository,
        "servestack build cache",
        False,
        cache_cleanup_policies(registry),
        target,
    )


def repository_options(registry: RegistrySpec) -> pulumi.ResourceOptions:
    """Stateful: a protected registry survives a mistaken `pulumi destroy`."""
    protect = registry.protect
    return pulumi.ResourceOptions.merge(
        fixed_name_options(), pulumi.ResourceOptions(protect=protect, retain_on_delete=protect)
    )


@dataclass(frozen=True)
class RegistryArgs:
    registry: RegistrySpec
    """The stack file's `registry` section: name, tag rule, cleanup, protection."""
    target: GcpTarget
    """Project, region and labels of the repository."""
    readers: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """IAM members (serviceAccount:...) granted read on this repository only, by a stable key."""
    build_cache: bool = False
    """Also declare the build cache's own repository (images.registryCache)."""


class Registry(pulumi.ComponentResource):
    """A Docker repository per stack with cleanup policies and repository-scoped readers."""

    url: pulumi.Output[str]
    """Docker host/path of the repository, e.g. europe-west4-docker.pkg.dev/p/models."""
    repository_id: pulumi.Output[str]
    """Repository name within its project and location."""
    cache_url: pulumi.Output[str] | None
    """Docker host/path of the build cache's repository; None without a registry cache."""

    def __init__(
        self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servestack:platform:Registry", name, None, opts)
        repo = gcp.artifactregistry.Repository(
            f"{name}-repo",
            pulumi.ResourceOptions.merge(
                repository_options(args.registry), pulumi.ResourceOptions(parent=self)
            ),
            **repository_args(args.registry, args.target),
        )
        for key, reader in sorted(args.readers.items()):
            gcp.artifactregistry.RepositoryIamMember(
                f"{name}-reader-{key}",
                gcp.artifactregistry.RepositoryIamMemberArgs(
                    project=repo.project,
                    location=repo.location,
                    repository=repo.name,
                    role=REGISTRY_READER_ROLE,
                    member=reader,
                ),
                pulumi.ResourceOptions(parent=self),
            )
        self.repository_id = repo.repository_id
        self.url = _url(repo)
        self.cache_url = None
        outputs = {"url": self.url, "repositoryId": self.repository_id}
        if args.build_cache:
            cache = gcp.artifactregistry.Repository(
                f"{name}-cache",
                pulumi.ResourceOptions.merge(
                    fixed_name_options(), pulumi.ResourceOptions(parent=self)
                ),
                **cache_repository_args(args.registry, args.target),
            )
            self.cache_url = _url(cache)
            outputs["cacheUrl"] = self.cache_url
        self.register_outputs(outputs)


def _url(repo: gcp.artifactregistry.Repository) -> pulumi.Output[str]:
    return pulumi.Output.all(repo.location, repo.project, repo.repository_id).apply(
        lambda parts: registry_url(str(parts[0]), str(parts[1]), str(parts[2]))
    )
