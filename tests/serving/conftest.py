"""Render the serving components under Pulumi mocks into plain Kubernetes manifests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pytest

from infra.config import StackSpec
from infra.config.placement import PoolPlacement, placements
from infra.config.targets import serving_target
from infra.preview.stackfile import load_spec
from infra.serving.namespace import ServingNamespace, ServingNamespaceArgs
from infra.serving.service import ModelService, ModelServiceArgs

ROOT = Path(__file__).resolve().parents[2]
STACKS = ("local", "dev", "staging", "prod")
DIGEST = "sha256:" + "ab" * 32
CANARY_DIGEST = "sha256:" + "cd" * 32


def image_ref(server: str, digest: str = DIGEST) -> str:
    return f"europe-west4-docker.pkg.dev/acme/serving-models/{server}:0123456789ab@{digest}"


def integral(value: Any) -> Any:
    """Numbers cross the mock monitor as floats; give whole ones back as ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integral(v) for v in value]
    return value


@dataclass(frozen=True)
class Registered:
    type: str
    name: str
    inputs: dict[str, Any]

    @property
    def manifest(self) -> dict[str, Any]:
        return {k: v for k, v in self.inputs.items() if not k.startswith("__")}

    @property
    def kind(self) -> str:
        return str(self.inputs.get("kind", self.type.rsplit(":", 1)[-1]))


class ServingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.registered: list[Registered] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = integral(dict(args.inputs))
        self.registered.append(Registered(args.typ, args.name, inputs))
        return f"{args.name}-id", inputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def placement_of(spec: StackSpec, pool: str | None) -> PoolPlacement | None:
    """The placement the Platform hands a server on `pool`, as the stack composes it."""
    return placements(spec.node_pools).get(pool or "")


def render(spec: StackSpec) -> list[Registered]:
    """Every resource the namespace and all model services register for `spec`."""
    mocks = ServingMocks()
    pulumi.runtime.set_mocks(mocks, project="servestack", stack=spec.stack, preview=True)

    def program() -> pulumi.Output[Any]:
        target = serving_target(spec)
        namespace = ServingNamespace("serving", ServingNamespaceArgs(target=target))
        names: list[pulumi.Output[str]] = [namespace.name]
        for server in spec.servers:
            service = ModelService(
                server.name,
                ModelServiceArgs(
                    target=target,
                    server=server,
                    image_ref=image_ref(server.name),
                    canary_image_ref=image_ref(server.name, CANARY_DIGEST)
                    if server.canary
                    else None,
                    placement=placement_of(spec, server.node_pool),
                    namespace=namespace.name,
                ),
            )
            names.append(service.service_name)
            names.extend(service.deployment_names)
        return pulumi.Output.all(*names)

    run: Callable[[], None] = pulumi.runtime.test(program)  # type: ignore[no-untyped-call]
    run()
    return mocks.registered


def kubernetes_objects(registered: list[Registered]) -> list[dict[str, Any]]:
    return [r.manifest for r in registered if r.type.startswith("kubernetes:")]


def objects_of(registered: list[Registered], kind: str) -> list[dict[str, Any]]:
    return [r.manifest for r in registered if r.type.startswith("kubernetes:") and r.kind == kind]


@pytest.fixture(scope="module", params=STACKS)
def stack_spec(request: pytest.FixtureRequest) -> StackSpec:
    return load_spec(ROOT, str(request.param))


def spec_of(stack: str) -> StackSpec:
    return load_spec(ROOT, stack)
