"""The longest `pulumi up` a plan allows: its custom timeouts along the dependency chain.

A CI job that runs `pulumi up` must outlive it, or the runner kills the engine mid-update and
leaves pending operations in the state. The engine runs independent resources in parallel and
a resource only after everything it depends on (its `dependsOn`, the resources its inputs come
from, its provider; depending on a component waits for the component's children), so the
worst case is the heaviest path through that graph, each resource weighing the larger of its
create and update timeouts. Resources replaced create-before-delete are deleted after every
other step (https://www.pulumi.com/docs/iac/concepts/options/deletebeforereplace/), so the
longest delete timeout of a resource the engine may delete comes on top.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_UNIT_MINUTES = {"h": 60.0, "m": 1.0, "s": 1 / 60}
_PART = re.compile(r"(\d+(?:\.\d+)?)([hms])")


def duration_minutes(text: str) -> float:
    """A Go duration as Pulumi's customTimeouts take it (`45m`, `1h30m`, `90s`), in minutes."""
    parts = _PART.findall(text)
    if not parts or "".join(f"{n}{u}" for n, u in parts) != text:
        raise ValueError(f"not a duration: {text!r}")
    return sum(float(number) * _UNIT_MINUTES[unit] for number, unit in parts)


def _timeouts(resource: Mapping[str, Any]) -> dict[str, float]:
    raw = resource.get("options", {}).get("customTimeouts", {})
    return {key: duration_minutes(value) for key, value in raw.items()}


def _provider_urn(reference: str) -> str:
    # A provider reference may be `<urn>::<id>`; a urn alone has three `::` separators.
    return reference.rsplit("::", 1)[0] if reference.count("::") > 3 else reference


def critical_path_minutes(resources: list[Mapping[str, Any]]) -> float:
    """The heaviest chain of create/update timeouts plus the longest possible delete."""
    by_urn = {str(r["urn"]): r for r in resources}
    children: dict[str, list[str]] = {}
    for urn, resource in by_urn.items():
        parent = str(resource.get("parent", ""))
        if parent:
            children.setdefault(parent, []).append(urn)

    finish: dict[str, float] = {}
    visiting: set[str] = set()

    def done(urn: str) -> float:
        """Minutes from the start until `urn` (and, for a component, its children) is done."""
        if urn in finish:
            return finish[urn]
        if urn in visiting or urn not in by_urn:
            return 0.0  # a cycle through a parent link, or a resource outside the plan
        visiting.add(urn)
        resource = by_urn[urn]
        options = resource.get("options", {})
        before = [str(d) for d in options.get("dependencies", [])]
        if resource.get("provider"):
            before.append(_provider_urn(str(resource["provider"])))
        timeouts = _timeouts(resource)
        own = max(timeouts.get("create", 0.0), timeouts.get("update", 0.0))
        start = max((done(d) for d in before), default=0.0)
        end = start + own
        # A component is done when its children are.
        end = max([end, *(done(c) for c in children.get(urn, []))])
        visiting.discard(urn)
        finish[urn] = end
        return end

    chain = max((done(urn) for urn in by_urn), default=0.0)
    deletes = [
        _timeouts(r).get("delete", 0.0)
        for r in resources
        if not r.get("options", {}).get("retainOnDelete")
    ]
    return chain + max(deletes, default=0.0)
