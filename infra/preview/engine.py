"""Run the real program offline under the SDK's mock monitor and capture what it declares."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.config import PROJECT, StackSpec
from infra.preview.capture import (
    SECRET,
    CapturedResource,
    CapturingMonitor,
    DuplicateUrnError,
    plain,
)
from infra.preview.stackfile import StackConfig, read_stack_config
from policies.verdict import Verdict


@dataclass
class Plan:
    """Everything one offline preview of one stack produced."""

    project: str
    stack: str
    file: str
    resources: list[CapturedResource]
    outputs: dict[str, Any]
    policies: list[Verdict] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "resources": [r.to_json() for r in self.resources],
            "outputs": self.outputs,
            "policies": [v.to_json() for v in self.policies],
        }

    @property
    def mandatory_violations(self) -> list[Verdict]:
        return [v for v in self.policies if v.level == "mandatory"]

    def by_type(self, type_token: str) -> list[CapturedResource]:
        return [r for r in self.resources if r.type == type_token]


def run_offline(
    root: Path,
    stack: str,
    *,
    stack_file: Path | None = None,
    policy_config: Path | None = None,
    with_policies: bool = True,
) -> Plan:
    """Validate the stack file, run the program under mocks, then judge the capture.

    A bad stack file raises `ConfigError` before any resource is declared.
    """
    from infra.images.context import check_model_sources
    from infra.preview.stackfile import load_config_spec

    config = read_stack_config(root, stack, stack_file)
    spec = load_config_spec(config)
    check_model_sources(spec, root, config.file)
    resources, outputs = _run_program(root, config, spec)
    plan = Plan(
        project=PROJECT,
        stack=stack,
        file=config.file,
        resources=resources,
        outputs=outputs,
    )
    if with_policies:
        plan.policies = judge(root, plan, policy_config)
    return plan


def judge(root: Path, plan: Plan, policy_config: Path | None = None) -> list[Verdict]:
    """Run the policy pack over a captured plan with the stack's policy config."""
    from policies.engine import evaluate, load_policy_config

    config = load_policy_config(root, plan.stack, policy_config)
    found = evaluate([r.to_json() for r in plan.resources], config)
    return sorted(found, key=lambda v: (v.level != "mandatory", v.policy, v.urn, v.message))


def _fresh_event_loop() -> None:
    """The SDK keeps work on the thread's loop; a closed or missing one would hang the run."""
    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
        usable = not loop.is_closed()
    except RuntimeError:
        usable = False
    if not usable:
        asyncio.set_event_loop(asyncio.new_event_loop())


def _run_program(
    root: Path, config: StackConfig, spec: StackSpec
) -> tuple[list[CapturedResource], dict[str, Any]]:
    from infra.preview.mocks import RealisticMocks
    from infra.stack import main

    return run_program(
        PROJECT, config, RealisticMocks(spec.gcp_project, spec.gcp_region), lambda: main(root)
    )


def run_program(
    project: str,
    config: StackConfig,
    mocks: Any,
    program: Callable[[], Mapping[str, Any]],
) -> tuple[list[CapturedResource], dict[str, Any]]:
    """Run any Pulumi program (another project's `main`) under the capturing mock monitor.

    The same run as a servestack stack's: config set as the engine sets it, every
    registration captured, outputs resolved (secrets masked, unknowns marked).
    """
    import pulumi
    from pulumi.runtime import settings
    from pulumi.runtime.config import set_all_config
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    _fresh_event_loop()
    settings.reset_options(project=project, stack=config.stack, preview=True)
    monitor = CapturingMonitor(mocks)
    pulumi.runtime.set_mocks(
        mocks, project=project, stack=config.stack, preview=True, monitor=monitor
    )
    set_all_config(dict(config.values), list(config.secret_keys))
    exported: dict[str, Any] = {}

    async def resolve(outputs: Mapping[str, Any]) -> None:
        for key in sorted(outputs):
            output = pulumi.Output.from_input(outputs[key])
            value = await output.future(with_unknowns=True)
            secret = await output.is_secret()
            exported[key] = SECRET if secret else plain(value)

    def run() -> None:
        _sync_await(resolve(program()))

    try:
        _sync_await(run_pulumi_func(run))
    finally:
        if monitor.duplicates:
            raise DuplicateUrnError(f"duplicate resource URN {monitor.duplicates[0]}")
    return sorted(monitor.captured, key=lambda r: r.urn), exported
