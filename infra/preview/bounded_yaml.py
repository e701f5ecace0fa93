"""A YAML reader with limits, so a hostile stack file ends in one line instead of a hang.

PyYAML's SafeLoader expands aliases without bound (a "billion laughs" file builds a huge
object graph from a few lines) and composes nested nodes recursively (very deep nesting
escapes as a RecursionError). Here the file size, the nesting depth, the number of aliases
and the size of the document with every alias expanded are all bounded before any value is
constructed; each limit is far above what a real stack file needs (the largest shipped one
is a few kilobytes, nests eight levels and uses no alias).
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import AliasEvent

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_ALIASES = 256
MAX_EXPANDED_NODES = 100_000


class YamlLimitError(Exception):
    """The document breaks one of the limits; the message names which and where."""


class BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and counts depth and aliases while composing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise YamlLimitError(f"line {mark.line + 1}: more than {MAX_ALIASES} aliases")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise YamlLimitError(f"line {mark.line + 1}: nested deeper than {MAX_DEPTH} levels")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: list[Any] = []
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.append(key)
        return super().construct_mapping(node, deep=deep)


# The Pulumi CLI hands timestamp-looking values over as written, not as parsed dates.
BoundedLoader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    lambda loader, node: loader.construct_scalar(node),  # type: ignore[arg-type]
)


def expanded_size(root: yaml.Node) -> int:
    """Nodes in the document with every alias expanded; a recursive alias is refused.

    Counted over the composed graph with one memo per node, so the count itself stays
    linear in the file even when the expansion it measures is exponential.
    """
    memo: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        ident = id(node)
        if children_done:
            open_nodes.discard(ident)
            memo[ident] = min(1 + sum(memo[id(c)] for c in _children(node)), MAX_EXPANDED_NODES + 1)
            continue
        if ident in memo:
            continue
        if ident in open_nodes:
            mark = node.start_mark
            raise YamlLimitError(f"line {mark.line + 1}: an alias refers to its own anchor")
        open_nodes.add(ident)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in memo)
    return memo[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def load_bounded(text: str) -> Any:
    """Parse one YAML document within the limits; YAMLError or YamlLimitError otherwise."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise YamlLimitError(f"larger than {MAX_FILE_BYTES // 1024} KiB")
    loader = BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if expanded_size(node) > MAX_EXPANDED_NODES:
            raise YamlLimitError(f"more than {MAX_EXPANDED_NODES} values once aliases expand")
        return loader.construct_document(node)
    finally:
        loader.dispose()
