"""Which order a replacement takes: create-before-delete or delete-before-create.

Pulumi creates the replacement first unless `deleteBeforeReplace` says otherwise. A
resource's own option wins (false included: pulumi/pulumi#3118); without it, the Terraform
bridge asks for delete-before-create whenever an autonameable input such as `name` is set
by the program rather than by the autonamer (pulumi/pulumi-terraform-bridge
pkg/tfbridge/provider.go:1275 and schema.go:240, from pulumi/pulumi-terraform#465).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CREATE_FIRST = "create-before-delete"
DELETE_FIRST = "delete-before-create"
# Inputs pulumi-gcp would autoname; set by the program, they make the bridge delete first.
NAME_INPUTS = ("name",)


def _options(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    options = resource.get("options") or {}
    return options if isinstance(options, Mapping) else {}


def replacement_order(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """How Pulumi replaces `old` by `new` (two plan entries), with the reason when it matters."""
    explicit = _options(new).get("deleteBeforeReplace")
    inputs = new.get("inputs") or {}
    named = [k for k in NAME_INPUTS if isinstance(inputs.get(k), str)]
    bridged = str(new.get("type", "")).startswith("gcp:")
    if explicit is True:
        return f"{DELETE_FIRST}: outage until the new resource is up"
    if explicit is False:
        same = [k for k in named if (old.get("inputs") or {}).get(k) == inputs.get(k)]
        if bridged and same:
            return f"{CREATE_FIRST}, but {same[0]} stays the same: the create will collide"
        return CREATE_FIRST
    if bridged and named:
        return f"{DELETE_FIRST} (provider default for an explicitly named resource): outage"
    return f"{CREATE_FIRST} (Pulumi's default)"


def order_note(order: str | None) -> str:
    """The suffix a rendered replacement carries, e.g. ` (create-before-delete)`."""
    return f" ({order})" if order else ""
