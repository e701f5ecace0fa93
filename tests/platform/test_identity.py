"""Node identity: a dedicated account, least-privilege roles, never a basic role."""

from __future__ import annotations

import re
from typing import Any

import pytest

from infra.config import StackSpec
from infra.config.targets import gke_target
from infra.platform.identity import (
    BASIC_ROLES,
    NODE_PROJECT_ROLES,
    node_account_args,
    node_account_id,
    node_project_bindings,
    role_slug,
)
from tests.platform.conftest import GKE_STACKS, spec_of, stack_values, variant


def _bindings(spec: StackSpec) -> list[dict[str, str]]:
    target = gke_target(spec)
    return node_project_bindings(target.cluster, target.gcp)


def _account(spec: StackSpec) -> dict[str, Any]:
    target = gke_target(spec)
    return node_account_args(target.cluster, target.gcp)


@pytest.mark.parametrize("cluster", ["a" * 6, "serve-prod", "x" * 40, "ab-" * 10])
def test_account_id_fits_gcp_rules(cluster: str) -> None:
    account = node_account_id(cluster)
    assert re.fullmatch(r"[a-z]([-a-z0-9]{4,28}[a-z0-9])", account), account
    assert account.endswith("-nodes")


@pytest.mark.parametrize("stack", GKE_STACKS)
def test_only_the_default_node_role_on_the_project(stack: str) -> None:
    spec = spec_of(stack)
    bindings = _bindings(spec)
    assert bindings == [
        {"project": spec.gcp_project, "role": "roles/container.defaultNodeServiceAccount"}
    ]
    assert not BASIC_ROLES & set(NODE_PROJECT_ROLES)


def test_account_args() -> None:
    args = _account(spec_of("prod"))
    assert args["account_id"] == "serve-prod-nodes"
    assert args["project"] == "acme-ml-serving-prod"


def test_role_slug_is_a_stable_name_fragment() -> None:
    assert role_slug("roles/container.defaultNodeServiceAccount") == (
        "container-defaultnodeserviceaccount"
    )


def test_extra_roles_follow_the_default_node_role() -> None:
    cluster = stack_values("prod")["servestack:cluster"]
    roles = ["roles/monitoring.metricWriter", "roles/container.defaultNodeServiceAccount"]
    spec = variant("prod", cluster={**cluster, "nodeServiceAccountRoles": roles})
    assert [b["role"] for b in _bindings(spec)] == [
        "roles/container.defaultNodeServiceAccount",
        "roles/monitoring.metricWriter",
    ]
    assert {b["project"] for b in _bindings(spec)} == {"acme-ml-serving-prod"}


def test_a_basic_extra_role_is_declared_for_the_policy_pack_to_judge() -> None:
    cluster = stack_values("prod")["servestack:cluster"]
    spec = variant("prod", cluster={**cluster, "nodeServiceAccountRoles": ["roles/editor"]})
    assert "roles/editor" in [b["role"] for b in _bindings(spec)]
