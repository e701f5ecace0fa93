"""The stack-file edits a canary verdict leads to, through `promote`'s in-place text editor.

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

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml.nodes import MappingNode

from infra.config import ServerSpec, StackSpec, stack_file
from infra.ops import splice
from infra.ops.promote import SERVERS_KEY, PromoteError, Promotion, edit_data, edit_text

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


def _expected(old_text: str, server: ServerSpec, action: Action, weight: int | None) -> Any:
    """What the edited file must parse to: the check that the splice changed nothing else."""
    canary, model = server.canary, server.canary_model
    assert canary is not None and model is not None
    document = splice.parse_plain(old_text)
    if action == "complete":
        data = edit_data(document, server.name, model.name, canary.version, None)
    else:
        data = copy.deepcopy(document)
    for item in data["config"][SERVERS_KEY]:
        if isinstance(item, dict) and item.get("name") == server.name:
            if action == "step":
                item["canary"]["weight"] = weight
            else:
                item.pop("canary", None)
    return data


def _edit_text(old_text: str, server: ServerSpec, action: Action, weight: int | None) -> str:
    canary, model = server.canary, server.canary_model
    assert canary is not None and model is not None
    if action == "complete":
        return edit_text(old_text, server.name, model.name, canary.version, None)
    config = splice.entry(splice.compose(old_text), "config")
    servers = splice.entry(config[1] if config else None, SERVERS_KEY)
    node = splice.named_item(servers[1] if servers else None, server.name)
    block = splice.entry(node, "canary")
    if node is None or block is None or not isinstance(block[1], MappingNode):
        raise PromoteError(f"server {server.name!r} has no canary block to edit")
    if action == "abort":
        return splice.delete_entry(old_text, node, "canary")
    current = splice.entry(block[1], "weight")
    assert weight is not None
    if current is None:
        return splice.add_entry(old_text, block[1], "weight", str(weight))
    return splice.set_scalar(old_text, current[1], weight)


def _edit(root: Path, spec: StackSpec, server: ServerSpec, action: Action) -> CanaryEdit:
    canary, model = server.canary, server.canary_model
    if canary is None or model is None:
        raise PromoteError(f"server {server.name!r} runs no canary")
    relative = stack_file(spec.stack)
    path = root / relative
    if not path.is_file():
        raise PromoteError(f"{relative}: stack file not found")
    old_text = path.read_text(encoding="utf-8")
    weight = next_action(server)[1] if action == "step" else None
    try:
        new_text = _edit_text(old_text, server, action, weight)
        # Re-parse: exactly the canary's values changed, every other byte stays as written.
        if splice.parse_plain(new_text) != _expected(old_text, server, action, weight):
            raise PromoteError(f"{relative}: cannot edit this layout in place; edit it by hand")
    except splice.SpliceError as error:
        raise PromoteError(f"{relative}: {error}") from None
    promotion = Promotion(
        server=server.name,
        model=model.name,
        version=canary.version,
        target_file=relative,
        old_text=old_text,
        new_text=new_text,
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
