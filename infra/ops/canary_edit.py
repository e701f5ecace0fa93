"""The stack-file edits a canary verdict leads to, through `promote`'s round-trip editor.

- step: a passing canary below `analysis.maxWeight` gets `step` more points of weight;
- complete: a passing canary at `maxWeight` becomes the served version: the same edit as
  `servestack promote` (versions set to the canary version, stale labels dropped, the
  canary block removed);
- abort: the canary block is removed; the canary Deployment, its HPA, Service and health
  check go, and the route sends everything to stable again.

Each returns a `Promotion` (old and new text, a unified diff) and writes nothing; the
caller validates the new text as a stack file before keeping it (`promote.validate`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ruamel.yaml.comments import CommentedMap

from infra.config import ServerSpec, StackSpec, stack_file
from infra.ops.promote import (
    PromoteError,
    Promotion,
    edit_document,
    find_server,
    round_trip_yaml,
)

Action = Literal["step", "complete", "abort"]


@dataclass(frozen=True)
class CanaryEdit:
    action: Action
    weight: int | None
    """The canary's weight after the edit; None once it is gone."""
    promotion: Promotion


def canary_server(spec: StackSpec, server: str) -> ServerSpec:
    """The named server, which must run a canary."""
    found = next((s for s in spec.servers if s.name == server), None)
    if found is None:
        names = ", ".join(s.name for s in spec.servers)
        raise PromoteError(f"stack {spec.stack!r} has no server {server!r} (has: {names})")
    if found.canary is None:
        raise PromoteError(f"server {server!r} in stack {spec.stack!r} runs no canary")
    return found


def next_action(server: ServerSpec) -> tuple[Action, int | None]:
    """What a passing analysis does next: more weight, or the canary becomes stable."""
    canary = server.canary
    if canary is None or canary.analysis is None:
        raise PromoteError(f"server {server.name!r}: canary.analysis is not set; no step defined")
    if canary.weight >= canary.analysis.max_weight:
        return "complete", None
    return "step", min(canary.weight + canary.analysis.step, canary.analysis.max_weight)


def _edit(root: Path, spec: StackSpec, server: ServerSpec, action: Action) -> CanaryEdit:
    canary, model = server.canary, server.canary_model
    if canary is None or model is None:
        raise PromoteError(f"server {server.name!r} runs no canary")
    relative = stack_file(spec.stack)
    path = root / relative
    if not path.is_file():
        raise PromoteError(f"{relative}: stack file not found")
    old_text = path.read_text(encoding="utf-8")
    yaml = round_trip_yaml()
    document = yaml.load(old_text)
    node = find_server(document, server.name)
    block = node.get("canary")
    if not isinstance(block, CommentedMap):
        raise PromoteError(f"{relative}: server {server.name!r} has no canary block to edit")
    weight: int | None = None
    if action == "step":
        _, weight = next_action(server)
        block["weight"] = weight
    elif action == "complete":
        edit_document(document, server.name, model.name, canary.version, None)
        node.pop("canary", None)
    else:
        del node["canary"]
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    promotion = Promotion(
        server=server.name,
        model=model.name,
        version=canary.version,
        target_file=relative,
        old_text=old_text,
        new_text=buffer.getvalue(),
    )
    return CanaryEdit(action, weight, promotion)


def advance(root: Path, spec: StackSpec, server: str) -> CanaryEdit:
    """The edit a passing analysis makes: step the weight, or complete the promotion."""
    found = canary_server(spec, server)
    action, _ = next_action(found)
    return _edit(root, spec, found, action)


def abort(root: Path, spec: StackSpec, server: str) -> CanaryEdit:
    """Remove the canary block: the rollback."""
    return _edit(root, spec, canary_server(spec, server), "abort")
