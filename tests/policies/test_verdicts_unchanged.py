"""The offline engine's verdicts on every shipped stack and policy fixture, byte for byte.

`data/verdicts.json` was recorded from the engine that built one set of SDK arguments per
policy and resource; the engine that builds them once per resource must give the same
bytes. Each case runs under its own policy config and under `{"all": "mandatory"}` (every
policy on, with its schema defaults). Regenerate the file only when a rule changes on
purpose: `python -m tests.policies.test_verdicts_unchanged`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.preview.engine import run_offline
from infra.preview.stackfile import available_stacks
from policies.engine import evaluate, load_policy_config

ROOT = Path(__file__).resolve().parents[2]
RECORDED = Path(__file__).with_name("data") / "verdicts.json"
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "policy").glob("*.yaml"))
CASES: list[tuple[str, str, Path | None]] = [
    *((stack, stack, None) for stack in available_stacks(ROOT)),
    *((f"fixture:{f.stem}", "prod", f) for f in FIXTURES),
]


def verdicts_of(stack: str, stack_file: Path | None) -> dict[str, list[dict[str, Any]]]:
    plan = run_offline(ROOT, stack, stack_file=stack_file, with_policies=False)
    items = [r.to_json() for r in plan.resources]
    configs = {"own": load_policy_config(ROOT, stack), "all-mandatory": {"all": "mandatory"}}
    return {name: [v.to_json() for v in evaluate(items, c)] for name, c in configs.items()}


def dumps(document: Any) -> str:
    return json.dumps(document, indent=1, sort_keys=True) + "\n"


@pytest.fixture(scope="module")
def recorded() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(RECORDED.read_text(encoding="utf-8"))
    return document


def test_every_case_was_recorded(recorded: dict[str, Any]) -> None:
    assert sorted(recorded) == sorted(label for label, _, _ in CASES)


@pytest.mark.parametrize(("label", "stack", "stack_file"), CASES, ids=[c[0] for c in CASES])
def test_verdicts_are_byte_identical(
    recorded: dict[str, Any], label: str, stack: str, stack_file: Path | None
) -> None:
    assert dumps(verdicts_of(stack, stack_file)) == dumps(recorded[label])


if __name__ == "__main__":
    RECORDED.write_text(
        dumps({label: verdicts_of(stack, file) for label, stack, file in CASES}), encoding="utf-8"
    )
