"""The stack's Artifact Registry Docker repository, its cleanup policies and who may pull."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_gcp as gcp

from infra.config import StackSpec
from infra.platform.identity import REGISTRY_READER_ROLE

SECONDS_PER_DAY = 86_400


def registry_location(spec: StackSpec) -> str:
    """Repositories live in the stack's region, next to the cluster's nodes."""
    if not spec.gcp_region:
        raise ValueError(f"stack {spec.stack!r} has no gcp:region")
    return spec.gcp_region


def registry_url(location: str, project: str, repository: str) -> str:
    """Docker host/path of a repository, e.g. europe-west4-docker.pkg.dev/p/models."""
    return f"{location}-docker.pkg.dev/{project}/{repository}"


def cleanup_policies(spec: StackSpec) -> list[dict[str, Any]]:
    """Keep the N most recent versions; delete untagged versions older than N days.

    KEEP wins over DELETE in Artifact Registry, so recent untagged builds survive too.
    """
    cleanup = spec.registry.cleanup
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


def repository_args(spec: StackSpec) -> dict[str, Any]:
    registry = spec.registry
    return {
        "repository_id": registry.repository,
        "project": spec.gcp_project,
        "location": registry_location(spec),
        "format": "DOCKER",
        "mode": "STANDARD_REPOSITORY",
        "description": f"servestack model server images ({spec.labels.env})",
        "labels": spec.labels.as_dict(),
        "docker_config": {"immutable_tags": registry.immutable_tags},
        "cleanup_policy_dry_run": False,
        "cleanup_policies": cleanup_policies(spec),
    }


def repository_options(spec: StackSpec) -> pulumi.ResourceOptions:
    """Stateful: a protected registry survives a mistaken `pulumi destroy`."""
    protect = spec.registry.protect
    return pulumi.ResourceOptions(protect=protect, retain_on_delete=protect)


@dataclass(frozen=True)
class RegistryArgs:
    spec: StackSpec
    # IAM members (serviceAccount:...) granted read on this repository only, by a stable key.
    readers: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)


class Registry(pulumi.ComponentResource):
    """A Docker repository per stack with cleanup policies and repository-scoped readers."""

    url: pulumi.Output[str]
    repository_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servestack:platform:Registry", name, None, opts)
        spec = args.spec
        repo = gcp.artifactregistry.Repository(
            f"{name}-repo",
            gcp.artifactregistry.RepositoryArgs(**repository_args(spec)),
            pulumi.ResourceOptions.merge(
                repository_options(spec), pulumi.ResourceOptions(parent=self)
            ),
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
        self.url = pulumi.Output.all(repo.location, repo.project, repo.repository_id).apply(
            lambda parts: registry_url(str(parts[0]), str(parts[1]), str(parts[2]))
        )
        self.register_outputs({"url": self.url, "repositoryId": self.repository_id})
