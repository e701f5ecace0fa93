"""Node identity: a dedicated account, least-privilege roles, never a basic role."""

from __future__ import annotations

import re

import pytest

from infra.platform.identity import (
    BASIC_ROLES,
    NODE_PROJECT_ROLES,
    node_account_args,
    node_account_id,
    node_project_bindings,
    role_slug,
)
from tests.platform.conftest import GKE_STACKS, spec_of


@pytest.mark.parametrize("cluster", ["a" * 6, "serve-prod", "x" * 40, "ab-" * 10])
def test_account_id_fits_gcp_rules(cluster: str) -> None:
    account = node_account_id(cluster)
    assert re.fullmatch(r"[a-z]([-a-z0-9]{4,28}[a-z0-9])", account), account
    assert account.endswith("-nodes")


@pytest.mark.parametrize("stack", GKE_STACKS)
def test_only_the_default_node_role_on_the_project(stack: str) -> None:
    spec = spec_of(stack)
    bindings = node_project_bindings(spec)
    assert bindings == [
        {"project": spec.gcp_project, "role": "roles/container.defaultNodeServiceAccount"}
    ]
    assert not BASIC_ROLES & set(NODE_PROJECT_ROLES)


def test_account_args() -> None:
    args = node_account_args(spec_of("prod"))
    assert args["account_id"] == "serve-prod-nodes"
    assert args["project"] == "acme-ml-serving-prod"


def test_role_slug_is_a_stable_name_fragment() -> None:
    assert role_slug("roles/container.defaultNodeServiceAccount") == (
        "container-defaultnodeserviceaccount"
    )
