"""A mock monitor that records every RegisterResource request in full.

`MockResourceArgs` carries no URN, parent or options, so the capture hooks the monitor,
which sees the whole request the engine would receive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.sync_await import _ensure_event_loop

SECRET = "[secret]"
COMPUTED = "[computed]"


@dataclass(frozen=True)
class CapturedResource:
    """One resource as the engine would receive it."""

    urn: str
    type: str
    name: str
    parent: str
    provider: str
    custom: bool
    inputs: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "provider": self.provider,
            "inputs": self.inputs,
            "options": self.options,
        }


def plain(value: Any) -> Any:
    """Make a deserialized property JSON-ready: secrets masked, unknowns marked, floats tidied."""
    if rpc.is_rpc_secret(value):
        return SECRET
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in sorted(value.items()) if not str(k).startswith("__")}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if value == rpc.UNKNOWN or type(value).__name__ == "Unknown":
        return COMPUTED
    return value


def _provider_urn(reference: str) -> str:
    return reference.rsplit("::", 1)[0] if "::" in reference else reference


def _options(request: Any) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if request.protect:
        options["protect"] = True
    if request.retainOnDelete:
        options["retainOnDelete"] = True
    # Explicitly false is a choice too: it overrides the bridge's default (pulumi/pulumi#3118).
    if request.deleteBeforeReplaceDefined or request.deleteBeforeReplace:
        options["deleteBeforeReplace"] = bool(request.deleteBeforeReplace)
    if request.ignoreChanges:
        options["ignoreChanges"] = sorted(request.ignoreChanges)
    if request.replaceOnChanges:
        options["replaceOnChanges"] = sorted(request.replaceOnChanges)
    timeouts = request.customTimeouts
    if timeouts.create or timeouts.update or timeouts.delete:
        options["customTimeouts"] = {
            k: v
            for k, v in (
                ("create", timeouts.create),
                ("update", timeouts.update),
                ("delete", timeouts.delete),
            )
            if v
        }
    if request.dependencies:
        options["dependencies"] = sorted(set(request.dependencies))
    if request.additionalSecretOutputs:
        options["additionalSecretOutputs"] = sorted(request.additionalSecretOutputs)
    return options


class DuplicateUrnError(Exception):
    """Two registrations of one URN: the real engine refuses the second ("Duplicate resource
    URN", pulumi/pulumi pkg/resource/deploy/step_generator.go:282-286 at
    1b5949891b); the SDK mock monitor accepts both."""


class CapturingMonitor(MockMonitor):
    """The SDK's mock monitor, keeping what each registration asked for."""

    def __init__(self, mocks: Any) -> None:
        super().__init__(mocks)
        self.captured: list[CapturedResource] = []
        self.duplicates: list[str] = []
        self._urns: set[str] = set()

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == "pulumi:pulumi:Stack":
            return response
        if response.urn in self._urns:
            # Kept and raised again after the run: an exception here may be lost in the SDK.
            self.duplicates.append(response.urn)
            raise DuplicateUrnError(f"duplicate resource URN {response.urn}")
        self._urns.add(response.urn)
        _ensure_event_loop()  # type: ignore[no-untyped-call]
        inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
        self.captured.append(
            CapturedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                provider=_provider_urn(request.provider),
                custom=bool(request.custom),
                inputs=plain(inputs),
                options=_options(request),
            )
        )
        return response
