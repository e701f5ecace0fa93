"""The day-0 rules: compliant bootstrap shapes pass; each broken setting trips its rule."""

from __future__ import annotations

from typing import Any

import pytest

from policies.engine import evaluate
from tests.policies import builders as b
from tests.policies import day0_builders as day0


def hit(*resources: dict[str, Any]) -> set[str]:
    return {v.policy for v in evaluate([*b.compliant_stack(), *resources], b.CONFIG)}


def test_compliant_day0_resources_pass() -> None:
    assert hit(day0.bucket(), day0.provider(), day0.key(), day0.grant()) == set()


@pytest.mark.parametrize(
    "change",
    [
        {"publicAccessPrevention": "inherited"},
        {"versioning": {"enabled": False}},
        {"versioning": None},
    ],
)
def test_bucket_settings(change: dict[str, Any]) -> None:
    assert hit(day0.bucket(**change)) == {"gcs-bucket-hardened"}


@pytest.mark.parametrize(
    "condition",
    [
        "assertion.repository_owner == 'acme'",
        "assertion.repository_id == '812734019'",
        "assertion.repository_owner_id == '90311455'",
        "",
    ],
)
def test_provider_must_pin_both_ids(condition: str) -> None:
    assert hit(day0.provider(condition)) == {"wif-github-pinned"}


def test_non_github_provider_is_not_judged_by_the_github_rule() -> None:
    assert hit(day0.provider("", issuer="https://gitlab.example/")) == set()


@pytest.mark.parametrize("period", ["", "7776001s", "90d"])
def test_key_rotation(period: str | None) -> None:
    assert hit(day0.key(rotationPeriod=period)) == {"kms-key-rotation"}


def test_authenticated_users_is_public_too() -> None:
    assert hit(day0.grant("allAuthenticatedUsers")) == {"iam-no-public-members"}


def test_key_without_rotation() -> None:
    unrotated = day0.key()
    del unrotated["inputs"]["rotationPeriod"]
    assert hit(unrotated) == {"kms-key-rotation"}
