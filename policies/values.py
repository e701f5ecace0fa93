"""Plain views of resource properties in which values unknown at preview time are marked.

Under the Pulumi CLI, properties arrive wrapped in the SDK's unknown-checking proxies (an
access to an unknown value raises); offline, the captured plan holds sentinel strings. Both
become plain dicts and lists here, with every unknown replaced by `UNKNOWN`, so rules can
skip exactly the checks whose input is not known yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from pulumi_policy.proxy import UnknownValueError


class _Unknown:
    """Marker of a value that is not known until the update runs."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Final = _Unknown()

# The SDK's sentinels, plus the offline capture's markers for computed and secret values.
UNKNOWN_SENTINELS: Final = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
        "030794c1-ac77-496b-92df-f27374a8bd58",
        "e48ece36-62e2-4504-bad9-02848725956a",
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
        "[computed]",
        "[secret]",
    }
)


def is_unknown(value: Any) -> bool:
    """True for values not known at preview time (None counts: an output not resolved yet)."""
    if value is None or value is UNKNOWN:
        return True
    return isinstance(value, str) and value in UNKNOWN_SENTINELS


def to_plain(value: Any) -> Any:
    """Copy proxies and containers into plain dicts/lists with unknowns as `UNKNOWN`."""
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, str | bytes):
        return value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in list(value):
            try:
                item = value[key]
            except UnknownValueError:
                item = UNKNOWN
            out[str(key)] = to_plain(item)
        return out
    if isinstance(value, Sequence):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                item = value[index]
            except UnknownValueError:
                item = UNKNOWN
            items.append(to_plain(item))
        return items
    return value


def get(obj: Any, *path: str | int) -> Any:
    """Follow `path` through plain data: `UNKNOWN` if any step is unknown, None if absent."""
    current = obj
    for step in path:
        if current is UNKNOWN:
            return UNKNOWN
        if isinstance(step, int):
            if not isinstance(current, list) or step >= len(current):
                return None
            current = current[step]
        else:
            if not isinstance(current, dict) or step not in current:
                return None
            current = current[step]
    return current


def as_list(value: Any) -> list[Any]:
    """A list value, or [] when absent, unknown or of another type."""
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    """A mapping value, or {} when absent, unknown or of another type."""
    return value if isinstance(value, dict) else {}


def as_number(value: Any) -> float | None:
    """Numbers arrive as floats or numeric strings; anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None
