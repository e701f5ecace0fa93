"""Compare two offline plans of one stack: what a merge would add, remove, update, replace.

Plans are the JSON documents `servestack preview --offline --json` writes:
`{"project","stack","resources":[{"urn","type","name","parent","provider","inputs",
"options"}],"outputs","policies":[{"policy","level","urn","message"}]}`. Resources are
matched by URN, inputs compared field by field, and replacements decided from the
providers' immutable fields (`replacements.py`) plus each resource's `replaceOnChanges`,
after its `ignoreChanges` paths take their old values (`ignore_changes.py`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from infra.ops.ignore_changes import ignoring_changes
from infra.ops.replace_order import replacement_order
from infra.ops.replacements import forcing_paths
from policies.verdict import Verdict

# How the Pulumi engine marks secret and unknown values inside property maps.
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


class Secret:
    """A secret value: compared by content, never shown."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other.value == self.value

    def __hash__(self) -> int:
        return hash(repr(self.value))

    def __repr__(self) -> str:
        return "[secret]"


class Unknown:
    """A value only known after apply."""

    def __eq__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "(known after apply)"


class Action(StrEnum):
    CREATE = "create"
    DELETE = "delete"
    UPDATE = "update"
    REPLACE = "replace"


@dataclass(frozen=True)
class FieldChange:
    """One changed input path; `old`/`new` are `MISSING` when the path did not exist."""

    path: str
    old: Any
    new: Any
    forces_replacement: bool = False


class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class ResourceChange:
    urn: str
    type: str
    name: str
    action: Action
    fields: tuple[FieldChange, ...] = ()
    order: str | None = None
    """Replacements only: create-before-delete or delete-before-create (`replace_order.py`)."""

    @property
    def replacement_paths(self) -> list[str]:
        return [f.path for f in self.fields if f.forces_replacement]


@dataclass(frozen=True)
class StackDiff:
    """Everything that differs for one stack between the base and the head plan."""

    stack: str
    changes: tuple[ResourceChange, ...] = ()
    outputs: tuple[FieldChange, ...] = ()
    policies_before: tuple[Verdict, ...] = ()
    policies_after: tuple[Verdict, ...] = ()
    unchanged: int = 0
    base_error: str | None = None
    head_error: str | None = None
    new_stack: bool = False
    removed_stack: bool = False

    def of(self, action: Action) -> list[ResourceChange]:
        return [c for c in self.changes if c.action is action]

    @property
    def counts(self) -> dict[Action, int]:
        return {action: len(self.of(action)) for action in Action}

    @property
    def policies_new(self) -> list[Verdict]:
        before = set(self.policies_before)
        return [v for v in self.policies_after if v not in before]

    @property
    def policies_resolved(self) -> list[Verdict]:
        after = set(self.policies_after)
        return [v for v in self.policies_before if v not in after]

    @property
    def has_changes(self) -> bool:
        return bool(
            self.changes
            or self.outputs
            or self.policies_new
            or self.policies_resolved
            or self.base_error
            or self.head_error
        )

    @property
    def blocking(self) -> list[Verdict]:
        """Mandatory policy violations in the head plan: the merge would fail the policy pack."""
        return [v for v in self.policies_after if v.level == "mandatory"]


# ------------------------------------------------------------------ values


def normalise(value: Any) -> Any:
    """Turn engine markers into `Secret`/`Unknown` and numbers into one type."""
    if isinstance(value, Mapping):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            return Secret(normalise(value.get("value")))
        return {str(k): normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalise(v) for v in value]
    if value == UNKNOWN:
        return Unknown()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def field_changes(old: Any, new: Any, prefix: str = "") -> list[FieldChange]:
    """Leaf-level differences between two normalised values, as dotted paths."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[FieldChange] = []
        for key in sorted(set(old) | set(new)):
            out += field_changes(old.get(key, MISSING), new.get(key, MISSING), _join(prefix, key))
        return out
    if isinstance(old, list) and isinstance(new, list):
        out = []
        for index in range(max(len(old), len(new))):
            before = old[index] if index < len(old) else MISSING
            after = new[index] if index < len(new) else MISSING
            out += field_changes(before, after, f"{prefix}[{index}]")
        return out
    if old is MISSING and new is MISSING:
        return []
    if type(old) is type(new) and old == new:
        return []
    return [FieldChange(path=prefix or "(root)", old=old, new=new)]


# --------------------------------------------------------------- resources


def _index(plan: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(r["urn"]): r for r in plan.get("resources", [])}


def _options(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    options = resource.get("options") or {}
    return options if isinstance(options, Mapping) else {}


def input_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldChange]:
    """The input changes Pulumi acts on: the new resource's `ignoreChanges` paths hold the
    old values first, then what still differs is classified as update or replacement."""
    before = normalise(old.get("inputs") or {})
    after = normalise(new.get("inputs") or {})
    ignored = [str(p) for p in _options(new).get("ignoreChanges") or []]
    changes = field_changes(before, ignoring_changes(before, after, ignored))
    replace_on = [str(p) for p in _options(new).get("replaceOnChanges") or []]
    forcing = set(forcing_paths(str(new.get("type", "")), changes, replace_on, absent=MISSING))
    return [
        FieldChange(c.path, c.old, c.new, forces_replacement=c.path in forcing) for c in changes
    ]


def resource_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> ResourceChange | None:
    """How Pulumi would treat a resource present in both plans, or None if unchanged."""
    rtype = str(new.get("type", ""))
    fields = input_changes(old, new)
    forcing = any(f.forces_replacement for f in fields)
    if old.get("provider") != new.get("provider"):
        fields.append(FieldChange("(provider)", old.get("provider"), new.get("provider")))
    if not fields:
        return None
    return ResourceChange(
        urn=str(new["urn"]),
        type=rtype,
        name=str(new.get("name", "")),
        action=Action.REPLACE if forcing else Action.UPDATE,
        fields=tuple(fields),
        order=replacement_order(old, new) if forcing else None,
    )


def _whole(resource: Mapping[str, Any], action: Action) -> ResourceChange:
    return ResourceChange(
        urn=str(resource["urn"]),
        type=str(resource.get("type", "")),
        name=str(resource.get("name", "")),
        action=action,
    )


def _verdicts(plan: Mapping[str, Any] | None) -> tuple[Verdict, ...]:
    if plan is None:
        return ()
    return tuple(sorted({Verdict.from_json(v) for v in plan.get("policies") or []}, key=_vkey))


def _vkey(verdict: Verdict) -> tuple[str, str, str, str]:
    return (verdict.level, verdict.policy, verdict.urn, verdict.message)


def diff_plans(
    stack: str,
    base: Mapping[str, Any] | None,
    head: Mapping[str, Any] | None,
    *,
    base_error: str | None = None,
    head_error: str | None = None,
) -> StackDiff:
    """Diff two plans of `stack`; a missing plan means the stack is new or gone."""
    before = _index(base) if base is not None else {}
    after = _index(head) if head is not None else {}
    changes: list[ResourceChange] = []
    unchanged = 0
    for urn in sorted(set(before) | set(after)):
        if urn not in before:
            changes.append(_whole(after[urn], Action.CREATE))
        elif urn not in after:
            changes.append(_whole(before[urn], Action.DELETE))
        else:
            change = resource_change(before[urn], after[urn])
            if change is None:
                unchanged += 1
            else:
                changes.append(change)
    outputs = field_changes(
        normalise((base or {}).get("outputs") or {}), normalise((head or {}).get("outputs") or {})
    )
    return StackDiff(
        stack=stack,
        changes=tuple(changes),
        outputs=tuple(outputs),
        policies_before=_verdicts(base),
        policies_after=_verdicts(head),
        unchanged=unchanged,
        base_error=base_error,
        head_error=head_error,
        new_stack=base is None and base_error is None and head is not None,
        removed_stack=head is None and head_error is None and base is not None,
    )


def diff_all(
    base: Mapping[str, Mapping[str, Any]],
    head: Mapping[str, Mapping[str, Any]],
    errors: Mapping[tuple[str, str], str] | None = None,
    order: Sequence[str] | None = None,
) -> list[StackDiff]:
    """Diff every stack present on either side; `errors` maps (side, stack) to a message."""
    errors = errors or {}
    stacks = list(order) if order is not None else sorted(set(base) | set(head))
    return [
        diff_plans(
            stack,
            base.get(stack),
            head.get(stack),
            base_error=errors.get(("base", stack)),
            head_error=errors.get(("head", stack)),
        )
        for stack in stacks
    ]


def render_value(value: Any, limit: int = 300) -> str:
    """A short, single-line rendering of a field value for tables and terminals."""
    if value is MISSING:
        return "(absent)"
    if isinstance(value, (Secret, Unknown)):
        return repr(value)
    if isinstance(value, str):
        text = repr(value) if ("\n" in value or value == "") else value
    else:
        text = json.dumps(value, sort_keys=True, default=repr)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def short_urn(urn: str) -> str:
    """`type::name` tail of a URN: enough to recognise a resource in a review."""
    parts = urn.split("::")
    if len(parts) >= 4:
        return f"{parts[2].rsplit('$', 1)[-1]}::{parts[3]}"
    return urn
