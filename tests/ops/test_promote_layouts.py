"""`promote` keeps every byte but the promoted values, over generated stack-file layouts.

YAML features the generator covers: a leading `---` document marker or none, leading and
trailing comments, end-of-line comments, mapping indentation of 2 or 4, sequences indented
under their key or indentless, plain, single- and double-quoted names, `versions` in flow
(`[1, 2]`) or block style, `versionLabels` absent, in flow (`{stable: 1}`) or block style,
a canary block or none, a sibling server before and after the edited one, blank lines
between entries, and a trailing `...` document end marker.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from infra.ops.promote import edit_data, edit_text
from infra.ops.splice import parse_plain


@dataclass(frozen=True)
class Layout:
    marker: bool
    end_marker: bool
    indent: int
    indentless: bool
    quote: str
    flow_versions: bool
    labels: str  # "none" | "flow" | "block"
    canary: bool
    comments: bool
    blank_lines: bool
    versions: tuple[int, ...]


layouts = st.builds(
    Layout,
    marker=st.booleans(),
    end_marker=st.booleans(),
    indent=st.sampled_from([2, 4]),
    indentless=st.booleans(),
    quote=st.sampled_from(["", "'", '"']),
    flow_versions=st.booleans(),
    labels=st.sampled_from(["none", "flow", "block"]),
    canary=st.booleans(),
    comments=st.booleans(),
    blank_lines=st.booleans(),
    versions=st.lists(st.integers(1, 9), min_size=1, max_size=3, unique=True).map(
        lambda v: tuple(sorted(v))
    ),
)


def render(layout: Layout) -> str:
    """A stack-file-shaped text in the layout; the server `main` serves model `m`."""
    i = " " * layout.indent
    dash = "" if layout.indentless else i
    note = "  # keep me" if layout.comments else ""
    blank = "\n" if layout.blank_lines else ""
    q = layout.quote

    def seq(level: str, items: list[list[str]]) -> list[str]:
        lines: list[str] = []
        for item in items:
            first, *rest = item
            lines.append(f"{level}{dash}- {first}")
            lines.extend(f"{level}{dash}  {line}" for line in rest)
        return lines

    labels_value = {v: f"l{v}" for v in layout.versions}
    model: list[str] = [f"name: {q}m{q}{note}", "source:", f"{i}path: models/m"]
    if layout.flow_versions:
        model.append(f"versions: [{', '.join(map(str, layout.versions))}]{note}")
    else:
        model.append("versions:")
        model.extend(f"{dash}- {v}" for v in layout.versions)
    if layout.labels == "flow":
        body = ", ".join(f"{name}: {v}" for v, name in labels_value.items())
        model.append(f"versionLabels: {{{body}}}")
    elif layout.labels == "block":
        model.append("versionLabels:")
        model.extend(f"{i}{name}: {v}{note}" for v, name in labels_value.items())
    server: list[str] = [f"name: {q}main{q}", "models:"]
    server.extend(seq("", [model]))
    if layout.canary:
        server.extend(["canary:", f"{i}version: {max(layout.versions) + 1}", f"{i}weight: 10"])
    other = [f"name: {q}other{q}", "models:", *seq("", [["name: x", "versions: [1]"]])]
    lines: list[str] = []
    if layout.marker:
        lines.append("---")
    if layout.comments:
        lines.append("# a stack file")
    lines.append("config:")
    lines.append(f"{i}gcp:region: europe-west4{note}")
    if layout.blank_lines:
        lines.append("")
    lines.append(f"{i}servestack:servers:")
    lines.extend(f"{i}{line}" for line in seq("", [other, server, other]))
    lines.append(f"{i}servestack:kubernetesVersion: {q or chr(34)}1.34{q or chr(34)}")
    if layout.comments:
        lines.append("# the end")
    if layout.end_marker:
        lines.append("...")
    return "\n".join(lines) + "\n" + blank


def _server_span(text: str) -> tuple[int, int]:
    """Lines of the edited server: from its `name: main` item to the next server item."""
    lines = text.splitlines()
    start = next(n for n, line in enumerate(lines) if "name: " in line and "main" in line)
    end = next(
        n for n in range(start + 1, len(lines)) if "name: " in lines[n] and "other" in lines[n]
    )
    return start, end


@seed(18)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layout=layouts, version=st.integers(1, 12), label=st.sampled_from([None, "stable", "l1"]))
def test_promotion_changes_exactly_the_promoted_values(
    layout: Layout, version: int, label: str | None
) -> None:
    old = render(layout)
    new = edit_text(old, "main", "m", version, label)
    # Exactly the promotion, read back from the text.
    assert parse_plain(new) == edit_data(parse_plain(old), "main", "m", version, label)
    # Every byte outside the edited server is as it was.
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    start, end = _server_span(old)
    new_start, new_end = _server_span(new)
    assert new_lines[:new_start] == old_lines[:start]
    assert new_lines[new_end:] == old_lines[end:]
    # Moving a label removes nothing, so every comment inside the server survives too.
    if label is not None:
        assert new.count("# keep me") == old.count("# keep me")


def test_a_leading_marker_and_indentless_lists_survive_unchanged() -> None:
    layout = Layout(True, True, 2, True, "", False, "block", False, True, False, (1, 2))
    old = render(layout)
    new = edit_text(old, "main", "m", 2, "stable")
    assert new.startswith("---\n# a stack file\n")
    assert new.endswith("...\n")
    changed = [line for line in new.splitlines() if line not in old.splitlines()]
    sibling = next(line for line in old.splitlines() if line.strip().startswith("l2: 2"))
    indent = sibling[: len(sibling) - len(sibling.lstrip())]
    assert changed == [f"{indent}stable: 2"]
