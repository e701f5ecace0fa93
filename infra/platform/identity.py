"""The nodes' own Google identity: a dedicated service account with least privilege.

Nodes never run as the Compute Engine default account. The account gets
`roles/container.defaultNodeServiceAccount` on the project (logging, monitoring, metadata)
plus only the stack's `cluster.nodeServiceAccountRoles`; image pulls are granted by the
registry on the repository alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import pulumi
import pulumi_gcp as gcp

from infra.config import ClusterSpec
from infra.config.targets import GcpTarget
from infra.platform.replace_order import fixed_name_options

NODE_PROJECT_ROLES: tuple[str, ...] = ("roles/container.defaultNodeServiceAccount",)
REGISTRY_READER_ROLE = "roles/artifactregistry.reader"
BASIC_ROLES = frozenset({"roles/owner", "roles/editor", "roles/viewer"})


def node_account_id(cluster_name: str) -> str:
    """Account id (6-30 chars, lowercase) derived from the cluster name."""
    suffix = "-nodes"
    return f"{cluster_name[: 30 - len(suffix)].rstrip('-')}{suffix}"


class AccountInputs(TypedDict):
    """The inputs of the node `gcp.serviceaccount.Account`."""

    account_id: str
    project: str
    display_name: str
    description: str


class ProjectBinding(TypedDict):
    """One project-level role of the node account."""

    project: str
    role: str


def node_account_args(cluster: ClusterSpec, target: GcpTarget) -> AccountInputs:
    return {
        "account_id": node_account_id(cluster.name),
        "project": target.project,
        "display_name": f"GKE nodes of {cluster.name}",
        "description": "Node identity of the servestack cluster; least privilege.",
    }


def node_project_bindings(cluster: ClusterSpec, target: GcpTarget) -> list[ProjectBinding]:
    """Project-level roles of the node account: the default node role, then the stack's own.

    A basic role among the stack's is still declared: the policy pack's iam-no-basic-roles
    rule, not the renderer, judges it.
    """
    extra = cluster.node_service_account_roles
    roles = [*NODE_PROJECT_ROLES, *(r for r in extra if r not in NODE_PROJECT_ROLES)]
    return [{"project": target.project, "role": role} for role in roles]


def role_slug(role: str) -> str:
    """Stable resource-name fragment of a role: roles/a.bC -> a-bc."""
    return role.removeprefix("roles/").replace(".", "-").lower()


@dataclass(frozen=True)
class NodeIdentityArgs:
    cluster: ClusterSpec
    """The cluster section: names the account and lists its extra project roles."""
    target: GcpTarget
    """Project the account and its role bindings live in."""


class NodeIdentity(pulumi.ComponentResource):
    """The node service account and its project-level role bindings."""

    email: pulumi.Output[str]
    """E-mail of the node service account."""
    member: pulumi.Output[str]
    """IAM member of the account (`serviceAccount:<email>`), for role bindings."""

    def __init__(
        self, name: str, args: NodeIdentityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servestack:platform:NodeIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = gcp.serviceaccount.Account(
            f"{name}-sa",
            gcp.serviceaccount.AccountArgs(**node_account_args(args.cluster, args.target)),
            pulumi.ResourceOptions.merge(fixed_name_options(), child),
        )
        self.email = account.email
        self.member = account.member
        for binding in node_project_bindings(args.cluster, args.target):
            gcp.projects.IAMMember(
                f"{name}-{role_slug(binding['role'])}",
                gcp.projects.IAMMemberArgs(
                    project=binding["project"], role=binding["role"], member=self.member
                ),
                child,
            )
        self.register_outputs({"email": self.email})
