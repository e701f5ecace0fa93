"""IAM rule: no basic roles (owner, editor, viewer) on any GCP IAM member, binding or policy."""

from __future__ import annotations

import json
from collections.abc import Iterator

from policies.base import Config, Resource, resource_policy
from policies.values import as_dict, as_list, get

BASIC_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}


def _is_iam(resource_type: str) -> bool:
    return resource_type.startswith("gcp:") and "iam" in resource_type.rsplit(":", 1)[-1].lower()


def check_basic_roles(resource: Resource, config: Config) -> Iterator[str]:
    if not _is_iam(resource.type):
        return
    role = get(resource.props, "role")
    if role in BASIC_ROLES:
        yield f"grants basic role {role}"
    policy = get(resource.props, "policyData")
    if isinstance(policy, str):
        try:
            document = json.loads(policy)
        except ValueError:
            return
        for binding in as_list(as_dict(document).get("bindings")):
            bound = as_dict(binding).get("role")
            if bound in BASIC_ROLES:
                yield f"policy grants basic role {bound}"


POLICIES = [
    resource_policy(
        "iam-no-basic-roles",
        "No basic IAM role (roles/owner, roles/editor, roles/viewer) is granted.",
        check_basic_roles,
    ),
]
