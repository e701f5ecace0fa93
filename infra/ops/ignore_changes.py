"""The `ignoreChanges` resource option, applied to a pair of plans before they are diffed.

Pulumi "ignores a property by using the old value from the state instead of the value
provided by the Pulumi program when determining whether an update or replace is needed"
(https://www.pulumi.com/docs/iac/concepts/options/ignorechanges/). So, for a resource in
both plans, each ignored path of the new inputs takes the old value (or is removed where
the old inputs lack it), and only then are the inputs compared. Paths use Pulumi's
property-path syntax: `a.b`, `list[0]`, `map["key.with.dots"]`, and `[*]` for every item.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

_TOKEN = re.compile(r'\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\[(\*)\]')
WILDCARD = object()


class BadPathError(ValueError):
    """An ignoreChanges entry that is not a property path."""


def parse_path(path: str) -> list[Any]:
    """`a.b[0]["k"][*]` -> ["a", "b", 0, "k", WILDCARD]."""
    parts: list[Any] = []
    position = 0
    while position < len(path):
        found = _TOKEN.match(path, position)
        if found is None or found.end() == position:
            raise BadPathError(f"ignoreChanges: {path!r} is not a property path")
        name, index, key, star = found.groups()
        if name is not None:
            parts.append(name)
        elif index is not None:
            parts.append(int(index))
        elif key is not None:
            parts.append(key.replace('\\"', '"'))
        else:
            parts.append(WILDCARD if star else None)
        position = found.end()
    if not parts:
        raise BadPathError("ignoreChanges: an empty path")
    return parts


_ABSENT = object()


def _get(value: Any, part: Any) -> Any:
    if isinstance(value, dict) and isinstance(part, str):
        return value.get(part, _ABSENT)
    if isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
        return value[part]
    return _ABSENT


def _keys(old: Any, new: Any) -> list[Any]:
    if isinstance(new, dict):
        return sorted(set(new) | (set(old) if isinstance(old, dict) else set()))
    if isinstance(new, list):
        return list(range(len(new)))
    return []


def _reset(old: Any, new: Any, parts: list[Any]) -> None:
    """Give `new` the value `old` has at `parts`, in place; `new` is a container."""
    head, rest = parts[0], parts[1:]
    for key in _keys(old, new) if head is WILDCARD else [head]:
        before, after = _get(old, key), _get(new, key)
        if rest:
            if after is not _ABSENT and isinstance(after, (dict, list)):
                _reset(before, after, rest)
            continue
        if before is _ABSENT:
            if isinstance(new, dict):
                new.pop(key, None)
        elif isinstance(new, dict) or (isinstance(key, int) and 0 <= key < len(new)):
            new[key] = copy.deepcopy(before)


def ignoring_changes(old: dict[str, Any], new: dict[str, Any], paths: Iterable[str]) -> Any:
    """`new` with every ignored path set back to its value in `old`; `new` is not modified."""
    result = copy.deepcopy(new)
    for path in paths:
        _reset(old, result, parse_path(path))
    return result
