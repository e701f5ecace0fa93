"""docs/iam.md lists every IAM grant of every plan (bootstrap + every stack), no primitive role."""

from __future__ import annotations

import re

from bootstrap.accounts import IAM_GRANT_TYPES, PRIMITIVE_ROLES, principal, scope
from infra.preview.engine import Plan
from tests.bootstrap.conftest import ROOT

ROW = re.compile(
    r"^\| (?P<who>[^|]+?) \| `(?P<role>roles/[^`]+)` \| (?P<on>[^|]+?) \| "
    r"(?P<by>bootstrap|stack) \|"
)


def table() -> set[tuple[str, str, str]]:
    text = (ROOT / "docs" / "iam.md").read_text(encoding="utf-8")
    rows = {(m["who"], m["role"], m["on"]) for m in map(ROW.match, text.splitlines()) if m}
    assert rows, "docs/iam.md has no role table"
    return rows


def grants(plans: list[Plan], state_bucket: str) -> set[tuple[str, str, str]]:
    found = set()
    for plan in plans:
        for r in plan.resources:
            if r.type.startswith("gcp:") and "member" in r.inputs:
                assert r.type in IAM_GRANT_TYPES, f"{r.urn}: an IAM grant type the test misses"
            if r.type in IAM_GRANT_TYPES:
                found.add(
                    (
                        principal(str(r.inputs["member"])),
                        str(r.inputs["role"]),
                        scope(r.type, r.inputs, state_bucket),
                    )
                )
    return found


def test_every_grant_is_in_the_table_and_every_row_is_granted(
    bootstrap_plan: Plan, stack_plans: dict[str, Plan], metric_plan: Plan, spec_and_targets
) -> None:
    spec, _ = spec_and_targets
    # The metrics adapter's grants exist only where a server scales on a custom metric,
    # which no shipped stack does: dev with such a metric stands for those stacks.
    plans = [bootstrap_plan, *stack_plans.values(), metric_plan]
    granted = grants(plans, spec.state.bucket)
    documented = table()
    assert sorted(granted - documented) == [], "granted but not in docs/iam.md"
    assert sorted(documented - granted) == [], "in docs/iam.md but granted by no plan"


def test_no_primitive_role_anywhere(bootstrap_plan: Plan, stack_plans: dict[str, Plan]) -> None:
    for plan in [bootstrap_plan, *stack_plans.values()]:
        for r in plan.resources:
            if r.type in IAM_GRANT_TYPES:
                assert r.inputs["role"] not in PRIMITIVE_ROLES, r.urn
    assert not {role for _, role, _ in table()} & PRIMITIVE_ROLES


def test_a_primitive_or_undocumented_grant_is_caught(
    bootstrap_plan: Plan, spec_and_targets
) -> None:
    """The check above can fail: an editor grant to the previewer is not in the table."""
    import dataclasses

    spec, _ = spec_and_targets
    grant = next(
        r for r in bootstrap_plan.resources if r.type == "gcp:projects/iAMMember:IAMMember"
    )
    bad = dataclasses.replace(grant, inputs={**grant.inputs, "role": "roles/editor"})
    extra = dataclasses.replace(bootstrap_plan, resources=[bad])
    assert grants([extra], spec.state.bucket) - table()


def test_every_member_has_a_known_principal(
    bootstrap_plan: Plan, stack_plans: dict[str, Plan], metric_plan: Plan
) -> None:
    for plan in [bootstrap_plan, *stack_plans.values(), metric_plan]:
        for r in plan.resources:
            if r.type in IAM_GRANT_TYPES:
                assert not principal(str(r.inputs["member"])).startswith("unknown"), r.urn
