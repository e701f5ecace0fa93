"""`servestack diff` says which order each replacement takes."""

from __future__ import annotations

from typing import Any

import pytest

from infra.ops.diff import diff_plans
from infra.ops.markdown import stack_section
from tests.ops.plans import deployment, node_pool, plan


def _renamed_pool(option: bool | None, *, rename: bool = True) -> tuple[Any, Any]:
    base = plan("dev", node_pool("dev"))
    head = plan("dev", node_pool("dev"))
    base["resources"][0]["inputs"]["name"] = "gpu-t4-aaaaaa"
    head["resources"][0]["inputs"]["name"] = "gpu-t4-bbbbbb" if rename else "gpu-t4-aaaaaa"
    head["resources"][0]["inputs"]["nodeConfig"]["spot"] = False
    if option is not None:
        head["resources"][0]["options"]["deleteBeforeReplace"] = option
    return base, head


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (False, "create-before-delete"),
        (True, "delete-before-create: outage until the new resource is up"),
        (None, "delete-before-create (provider default for an explicitly named resource)"),
    ],
)
def test_each_replacement_names_its_order(option: bool | None, expected: str) -> None:
    (change,) = diff_plans("dev", *_renamed_pool(option)).changes
    assert change.order is not None and change.order.startswith(expected)
    assert f"({expected}" in stack_section(diff_plans("dev", *_renamed_pool(option)))


def test_create_first_under_the_same_name_is_called_a_collision() -> None:
    (change,) = diff_plans("dev", *_renamed_pool(False, rename=False)).changes
    assert change.order == "create-before-delete, but name stays the same: the create will collide"


def test_kubernetes_replacement_follows_pulumis_default() -> None:
    base = plan("dev", deployment("dev", "img:1"))
    head = plan("dev", deployment("dev", "img:1"))
    head["resources"][0]["inputs"]["spec"]["selector"] = {"matchLabels": {"a": "b"}}
    (change,) = diff_plans("dev", base, head).changes
    assert change.order == "create-before-delete (Pulumi's default)"


def test_updates_carry_no_order() -> None:
    base = plan("dev", deployment("dev", "img:1"))
    head = plan("dev", deployment("dev", "img:2"))
    (change,) = diff_plans("dev", base, head).changes
    assert change.order is None


def test_terminal_diff_prints_the_order(capsys: pytest.CaptureFixture[str]) -> None:
    from infra.cli.ops import _print_diffs

    _print_diffs([diff_plans("dev", *_renamed_pool(False))])
    replaced = [line for line in capsys.readouterr().out.splitlines() if "replace " in line]
    assert replaced and replaced[0].endswith("(create-before-delete)")
