"""A node pool change that needs fresh nodes, end to end: stack file -> offline plans -> diff.

The pool is replaced (its GKE name carries the settings hash) and no Deployment changes,
because pods select the stable `servestack.io/pool` label, not the GKE pool name.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.ops.diff import Action, StackDiff, diff_plans
from infra.preview.engine import run_offline

ROOT = Path(__file__).resolve().parents[2]
STACK = "prod"
GPU_POOL = "gpu-l4"
NODE_POOL = "gcp:container/nodePool:NodePool"

Edit = Callable[[dict[str, Any]], None]


def _stack_file(tmp_path: Path, name: str, edit: Edit) -> Path:
    """A copy of the prod stack file with the GPU pool edited."""
    document = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{STACK}.yaml").read_text())
    pool = next(p for p in document["config"]["servestack:nodePools"] if p["name"] == GPU_POOL)
    edit(pool)
    path = tmp_path / name / f"Pulumi.{STACK}.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def _diff(tmp_path: Path, base: Edit, head: Edit) -> StackDiff:
    plans = [
        run_offline(ROOT, STACK, stack_file=_stack_file(tmp_path, side, edit), with_policies=False)
        for side, edit in (("base", base), ("head", head))
    ]
    return diff_plans(STACK, plans[0].to_json(), plans[1].to_json())


def _unchanged(pool: dict[str, Any]) -> None:
    return None


def _machine_and_spot(pool: dict[str, Any]) -> None:
    pool["machineType"] = "g2-standard-16"
    pool["spot"] = True


def _taint(value: str) -> Edit:
    def edit(pool: dict[str, Any]) -> None:
        pool["taints"] = [{"key": "dedicated", "value": value, "effect": "NoSchedule"}]

    return edit


@pytest.mark.parametrize(
    ("base", "head", "reasons"),
    [
        (
            _unchanged,
            _machine_and_spot,
            ["name", "nodeConfig.machineType", "nodeConfig.spot"],
        ),
        (_taint("serving"), _taint("batch"), ["name", "nodeConfig.taints[1].value"]),
    ],
    ids=["machine-and-spot", "taint"],
)
def test_pool_roll_is_a_replacement_and_leaves_deployments_alone(
    tmp_path: Path, base: Edit, head: Edit, reasons: list[str]
) -> None:
    diff = _diff(tmp_path, base, head)
    (change,) = diff.changes
    assert change.type == NODE_POOL
    assert change.name == f"platform-{GPU_POOL}-pool"
    assert change.action is Action.REPLACE
    assert change.replacement_paths == reasons
    name = next(f for f in change.fields if f.path == "name")
    assert name.old.startswith(f"{GPU_POOL}-") and name.new.startswith(f"{GPU_POOL}-")
    assert name.old != name.new
    # Only the pool-name output follows the roll.
    assert [(o.path, o.old, o.new) for o in diff.outputs] == [
        (f"nodePools.{GPU_POOL}", name.old, name.new)
    ]


def test_adding_a_pool_taint_replaces_the_pool_and_adds_the_toleration(tmp_path: Path) -> None:
    diff = _diff(tmp_path, _unchanged, _taint("serving"))
    replaced = [c for c in diff.changes if c.action is Action.REPLACE]
    assert [c.type for c in replaced] == [NODE_POOL]
    assert "nodeConfig.taints[1]" in replaced[0].replacement_paths
    deployments = [c for c in diff.changes if c.type == "kubernetes:apps/v1:Deployment"]
    assert deployments, "servers on the pool must learn to tolerate its new taint"
    for change in deployments:
        assert change.action is Action.UPDATE
        assert {f.path for f in change.fields} == {"spec.template.spec.tolerations[1]"}
