"""Run the Platform component alone under the SDK mock monitor and capture what it declares."""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from pulumi.runtime import settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from infra.config import PROJECT, StackSpec, parse_stack
from infra.config.targets import platform_target
from infra.platform import Platform, PlatformArgs
from infra.preview.capture import SECRET, CapturedResource, CapturingMonitor, plain
from infra.preview.mocks import RealisticMocks
from infra.preview.stackfile import load_spec

ROOT = Path(__file__).resolve().parents[2]
GKE_STACKS = ("dev", "staging", "prod")
ALL_STACKS = ("local", *GKE_STACKS)


@dataclass
class PlatformRun:
    """What one Platform declared: captured resources, resolved outputs, the object itself."""

    resources: list[CapturedResource]
    outputs: dict[str, Any]
    platform: Platform

    def of_type(self, type_token: str) -> list[CapturedResource]:
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str) -> CapturedResource:
        found = self.of_type(type_token)
        assert len(found) == 1, f"expected one {type_token}, found {len(found)}"
        return found[0]

    def by_name(self, name: str) -> CapturedResource:
        return next(r for r in self.resources if r.name == name)


def spec_of(stack: str) -> StackSpec:
    return load_spec(ROOT, stack)


def run_platform(spec: StackSpec) -> PlatformRun:
    """Declare `Platform("platform", ...)` with fresh mocks; resolve its outputs."""
    # The root stack resource binds to the loop current at set_mocks: make ours current first.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    settings.reset_options(project=PROJECT, stack=spec.stack, preview=True)
    mocks = RealisticMocks(spec.gcp_project, spec.gcp_region)
    monitor = CapturingMonitor(mocks)
    pulumi.runtime.set_mocks(
        mocks, project=PROJECT, stack=spec.stack, preview=True, monitor=monitor
    )
    holder: dict[str, Any] = {}
    outputs: dict[str, Any] = {}

    async def resolve(platform: Platform) -> None:
        for key in sorted(platform.outputs):
            output = platform.outputs[key]
            value = await output.future(with_unknowns=True)
            outputs[key] = SECRET if await output.is_secret() else plain(value)
        outputs["__registry_url"] = await platform.registry_url.future()

    def program() -> None:
        platform = Platform("platform", PlatformArgs(platform_target(spec)))
        holder["platform"] = platform
        _sync_await(resolve(platform))

    try:
        _sync_await(run_pulumi_func(program))
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    resources = sorted(monitor.captured, key=lambda r: r.urn)
    return PlatformRun(resources=resources, outputs=outputs, platform=holder["platform"])


@pytest.fixture(scope="module")
def runs() -> dict[str, PlatformRun]:
    """One capture per shipped stack, shared by the read-only assertions of a module."""
    return {stack: run_platform(spec_of(stack)) for stack in ALL_STACKS}


def stack_values(stack: str) -> dict[str, Any]:
    """A shipped stack file's config map, decoded, for building variants in tests."""
    document = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())
    return copy.deepcopy(dict(document["config"]))


def cluster_with(stack: str, **fields: object) -> dict[str, object]:
    """A shipped stack's `servestack:cluster` map with some fields replaced."""
    cluster: dict[str, object] = stack_values(stack)["servestack:cluster"]
    cluster.update(fields)
    return cluster


def variant(stack: str, **changes: Any) -> StackSpec:
    """A shipped stack with some `servestack:` keys replaced (validated like the real file)."""
    values = stack_values(stack)
    for key, value in changes.items():
        values[f"servestack:{key}"] = value
    return parse_stack(stack, values)
