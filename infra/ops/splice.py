"""Edit YAML text in place: new text spliced into the spans the parser reports, nothing else.

A round-trip dump re-renders the whole document (it drops a leading `---`, re-indents
indentless sequences, may move comments); a splice leaves every byte outside the edited
value as it was. Positions come from ruamel.yaml's composer (`start_mark.index`,
`end_mark.index` of each node). The caller re-parses the result to check that exactly the
intended value changed.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode


class SpliceError(Exception):
    """The text cannot be edited in place (malformed, or a layout the splice cannot keep)."""


def compose(text: str) -> Node | None:
    """The document's node tree, with positions; one-line SpliceError if it does not parse."""
    try:
        return YAML(typ="rt").compose(text)  # type: ignore[no-any-return]
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise SpliceError(f"malformed YAML: {where}{problem}") from None
    except RecursionError:
        raise SpliceError("malformed YAML: nested too deeply") from None


def entry(node: Node | None, key: str) -> tuple[ScalarNode, Node] | None:
    """The (key, value) nodes of `key` in a mapping node, if present."""
    if not isinstance(node, MappingNode):
        return None
    for key_node, value_node in node.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def named_item(node: Node | None, name: str) -> MappingNode | None:
    """The mapping item of a sequence node whose `name` is `name`."""
    if not isinstance(node, SequenceNode):
        return None
    for item in node.value:
        found = entry(item, "name")
        if isinstance(item, MappingNode) and found is not None and found[1].value == name:
            return item
    return None


def end_of(node: Node) -> int:
    """Index just after a node's own text (a block collection ends with its last child)."""
    if isinstance(node, SequenceNode | MappingNode) and not node.flow_style and node.value:
        last = node.value[-1]
        return end_of(last[1] if isinstance(node, MappingNode) else last)
    return int(node.end_mark.index)


_PLAIN = re.compile(r"[A-Za-z0-9_][-A-Za-z0-9_.]*")
_NOT_PLAIN = frozenset({"true", "false", "yes", "no", "on", "off", "null", "~"})


def scalar(value: int | str) -> str:
    """A YAML scalar for an int or a string (plain when it reads back as the same string)."""
    if isinstance(value, int):
        return str(value)
    plain = _PLAIN.fullmatch(value) and value.lower() not in _NOT_PLAIN
    if plain and not re.fullmatch(r"[-+]?[0-9][0-9_.eE+-]*", value):
        return value
    return json.dumps(value)


def _replace(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def set_sequence(text: str, node: SequenceNode, items: list[int | str]) -> str:
    """Replace a sequence's items, in its own style (flow `[a, b]` or block `- a` lines)."""
    start = int(node.start_mark.index)
    if node.flow_style or not node.value:
        return _replace(text, start, end_of(node), "[" + ", ".join(map(scalar, items)) + "]")
    if not items:
        return _replace(text, start, end_of(node), "[]")
    indent = "\n" + " " * int(node.start_mark.column)
    block = indent.join(f"- {scalar(item)}" for item in items)
    return _replace(text, start, end_of(node), block)


def set_scalar(text: str, node: Node, value: int | str) -> str:
    return _replace(text, int(node.start_mark.index), end_of(node), scalar(value))


def _pairs_text(text: str, node: MappingNode, skip: int | None = None) -> list[str]:
    return [
        text[int(k.start_mark.index) : end_of(v)]
        for index, (k, v) in enumerate(node.value)
        if index != skip
    ]


def delete_entry(text: str, node: MappingNode, key: str) -> str:
    """Remove one entry of a mapping with at least two entries, keeping the rest as written."""
    index = next(i for i, (k, _) in enumerate(node.value) if k.value == key)
    if len(node.value) < 2:
        raise SpliceError(f"cannot remove the only entry {key!r}; remove its parent")
    if node.flow_style:
        body = "{" + ", ".join(_pairs_text(text, node, skip=index)) + "}"
        return _replace(text, int(node.start_mark.index), end_of(node), body)
    key_node, value_node = node.value[index]
    key_start = int(key_node.start_mark.index)
    line_start = text.rfind("\n", 0, key_start) + 1
    if text[line_start:key_start].strip() == "":
        line_end = text.find("\n", end_of(value_node))
        return _replace(text, line_start, len(text) if line_end < 0 else line_end + 1, "")
    # The entry shares its line with what precedes it (`- name: x`): cut up to the next key.
    if index + 1 < len(node.value):
        next_start = int(node.value[index + 1][0].start_mark.index)
        return _replace(text, key_start, next_start, "")
    raise SpliceError(f"cannot remove {key!r} in place; edit the file by hand")


def add_entry(text: str, node: MappingNode, key: str, value: str) -> str:
    """Append `key: value` (value already YAML text) to a mapping, in its own style."""
    if node.flow_style:
        body = "{" + ", ".join([*_pairs_text(text, node), f"{scalar(key)}: {value}"]) + "}"
        return _replace(text, int(node.start_mark.index), end_of(node), body)
    column = int(node.value[0][0].start_mark.column)
    end = end_of(node)
    line_end = text.find("\n", end)
    at = len(text) if line_end < 0 else line_end
    sep = "" if value.startswith("\n") else " "
    return text[:at] + "\n" + " " * column + f"{scalar(key)}:{sep}{value}" + text[at:]


def parse_plain(text: str) -> Any:
    """The data a text holds (ruamel's safe loader), to compare before and after an edit."""
    try:
        return YAML(typ="safe", pure=True).load(text)
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise SpliceError(f"malformed YAML: {where}{problem}") from None
