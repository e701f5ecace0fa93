"""The nodes' own Google identity: a dedicated service account with least privilege.

Nodes never run as the Compute Engine default account. The account gets
`roles/container.defaultNodeServiceAccount` on the project (logging, monitoring, metadata)
plus only the stack's `cluster.nodeServiceAccountRoles`; image pulls are granted by the
registry on the repository alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_gcp as gcp

from infra.config import StackSpec
from infra.platform.network import gke_cluster, gke_project

NODE_PROJECT_ROLES: tuple[str, ...] = ("roles/container.defaultNodeServiceAccount",)
REGISTRY_READER_ROLE = "roles/artifactregistry.reader"
BASIC_ROLES = frozenset({"roles/owner", "roles/editor", "roles/viewer"})


def node_account_id(cluster_name: str) -> str:
    """Account id (6-30 chars, lowercase) derived from the cluster name."""
    suffix = "-nodes"
    return f"{cluster_name[: 30 - len(suffix)].rstrip('-')}{suffix}"


def node_account_args(spec: StackSpec) -> dict[str, Any]:
    cluster = gke_cluster(spec)
    return {
        "account_id": node_account_id(cluster.name),
        "project": spec.gcp_project,
        "display_name": f"GKE nodes of {cluster.name}",
        "description": "Node identity of the servestack cluster; least privilege.",
    }


def node_project_bindings(spec: StackSpec) -> list[dict[str, str]]:
    """Project-level roles of the node account: the default node role, then the stack's own.

    A basic role among the stack's is still declared: the policy pack's iam-no-basic-roles
    rule, not the renderer, judges it.
    """
    project = gke_project(spec)
    extra = gke_cluster(spec).node_service_account_roles
    roles = [*NODE_PROJECT_ROLES, *(r for r in extra if r not in NODE_PROJECT_ROLES)]
    return [{"project": project, "role": role} for role in roles]


def role_slug(role: str) -> str:
    """Stable resource-name fragment of a role: roles/a.bC -> a-bc."""
    return role.removeprefix("roles/").replace(".", "-").lower()


@dataclass(frozen=True)
class NodeIdentityArgs:
    spec: StackSpec


class NodeIdentity(pulumi.ComponentResource):
    """The node service account and its project-level role bindings."""

    email: pulumi.Output[str]
    member: pulumi.Output[str]

    def __init__(
        self, name: str, args: NodeIdentityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servestack:platform:NodeIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = gcp.serviceaccount.Account(
            f"{name}-sa", gcp.serviceaccount.AccountArgs(**node_account_args(args.spec)), child
        )
        self.email = account.email
        self.member = account.member
        for binding in node_project_bindings(args.spec):
            gcp.projects.IAMMember(
                f"{name}-{role_slug(binding['role'])}",
                gcp.projects.IAMMemberArgs(
                    project=binding["project"], role=binding["role"], member=self.member
                ),
                child,
            )
        self.register_outputs({"email": self.email})
