"""Render stack diffs as one pull-request comment that fits GitHub's size limit.

The comment starts with a hidden marker (so a workflow can find and update it), then a
summary table over all stacks, then one collapsed section per stack. When the whole text
would exceed the limit, the largest sections are summarised first (field values dropped,
then resource lists dropped) until it fits: the summary table always survives.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from infra.ops.diff import Action, ResourceChange, StackDiff, render_value, short_urn
from infra.ops.replace_order import order_note
from policies.verdict import Verdict

GITHUB_COMMENT_LIMIT = 65_536
MARKER = "<!-- servestack:plan-diff -->"

_ICONS = {
    Action.CREATE: "🟢 create",
    Action.UPDATE: "🟡 update",
    Action.REPLACE: "🔴 replace",
    Action.DELETE: "⚫ delete",
}


def _cell(text: str) -> str:
    """Inline code that survives a table cell: HTML-escaped, pipes and newlines neutralised."""
    escaped = html.escape(text, quote=False).replace("|", "&#124;").replace("\n", "⏎")
    return f"<code>{escaped}</code>"


def _status(diff: StackDiff) -> str:
    if diff.base_error or diff.head_error:
        return "⚠️ plan failed"
    if diff.blocking:
        return "⛔ policy violations"
    if diff.new_stack:
        return "🆕 new stack"
    if diff.removed_stack:
        return "🗑️ stack removed"
    if not diff.has_changes:
        return "✅ no changes"
    if diff.of(Action.REPLACE) or diff.of(Action.DELETE):
        return "⚠️ destructive"
    return "✅ ok"


def summary_table(diffs: Sequence[StackDiff]) -> str:
    rows = [
        "| Stack | Create | Update | Replace | Delete | Policy: new / resolved | Status |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for d in diffs:
        c = d.counts
        rows.append(
            f"| `{d.stack}` | {c[Action.CREATE]} | {c[Action.UPDATE]} | {c[Action.REPLACE]} "
            f"| {c[Action.DELETE]} | {len(d.policies_new)} / {len(d.policies_resolved)} "
            f"| {_status(d)} |"
        )
    return "\n".join(rows)


def _field_rows(change: ResourceChange) -> list[str]:
    rows = []
    for f in change.fields:
        flag = " 🔴" if f.forces_replacement else ""
        rows.append(
            f"| {_cell(f.path)}{flag} | {_cell(render_value(f.old))} "
            f"| {_cell(render_value(f.new))} |"
        )
    return rows


def _resource_block(change: ResourceChange, with_fields: bool) -> list[str]:
    # `short_urn` already names the type (`<type>::<name>`); it is not repeated after it.
    head = f"- {_ICONS[change.action]} `{short_urn(change.urn)}`"
    if change.action is Action.REPLACE:
        head += " — replaced because of " + ", ".join(f"`{p}`" for p in change.replacement_paths)
        head += _order(change)
    lines = [head]
    if with_fields and change.fields:
        lines += ["", "  | Field | Old | New |", "  | --- | --- | --- |"]
        lines += ["  " + row for row in _field_rows(change)]
        lines.append("")
    return lines


def _order(change: ResourceChange) -> str:
    """The replacement order, e.g. ` (delete-before-create: outage ...)`."""
    return order_note(change.order)


def _verdict_line(verdict: Verdict) -> str:
    where = f" `{short_urn(verdict.urn)}`" if verdict.urn else ""
    return f"- **{verdict.level}** `{verdict.policy}`{where}: {html.escape(verdict.message)}"


def _policy_block(diff: StackDiff) -> list[str]:
    lines: list[str] = []
    new = diff.policies_new
    if new:
        lines += ["", "**New policy verdicts**", ""]
        lines += [_verdict_line(v) for v in new]
    if diff.policies_resolved:
        lines += ["", "**Resolved policy verdicts**", ""]
        lines += [_verdict_line(v) for v in diff.policies_resolved]
    shown = set(new)
    remaining = [v for v in diff.policies_after if v not in shown]
    if remaining:
        lines += ["", f"Unchanged policy verdicts: {len(remaining)}"]
    return lines


def stack_section(diff: StackDiff, detail: int = 2) -> str:
    """One stack's section; `detail` 2 = full, 1 = resources without values, 0 = counts only."""
    c = diff.counts
    summary = (
        f"{c[Action.CREATE]} to create, {c[Action.UPDATE]} to update, "
        f"{c[Action.REPLACE]} to replace, {c[Action.DELETE]} to delete, "
        f"{diff.unchanged} unchanged"
    )
    lines = [f"### Stack `{diff.stack}`", ""]
    for side, error in (("base", diff.base_error), ("head", diff.head_error)):
        if error:
            lines += [f"> ⚠️ The {side} plan failed: {html.escape(error)}", ""]
    if diff.blocking:
        lines += [f"> ⛔ {len(diff.blocking)} mandatory policy violation(s) in this change.", ""]
    replaced = diff.of(Action.REPLACE)
    if replaced:
        names = ", ".join(f"`{short_urn(r.urn)}`" for r in replaced)
        lines += [f"> 🔴 **Replacements:** {names}", ""]
    if not diff.has_changes:
        lines.append("No changes.")
        return "\n".join(lines) + "\n"
    lines += ["<details>", f"<summary>{summary}</summary>", ""]
    if detail == 0:
        lines.append(
            "_Details omitted to keep this comment under GitHub's size limit; run "
            f"`servestack diff --stack {diff.stack}` locally for the full diff._"
        )
    else:
        for action in (Action.REPLACE, Action.DELETE, Action.CREATE, Action.UPDATE):
            for change in diff.of(action):
                lines += _resource_block(change, with_fields=detail >= 2)
        if detail == 1:
            lines += ["", "_Field values omitted to keep this comment under the size limit._"]
        if diff.outputs:
            lines += ["", "**Stack outputs**", "", "| Output | Old | New |", "| --- | --- | --- |"]
            lines += [
                f"| {_cell(o.path)} | {_cell(render_value(o.old))} | {_cell(render_value(o.new))} |"
                for o in diff.outputs
            ]
        lines += _policy_block(diff)
    lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


REPLACEMENT_LEGEND = "🔴 marks a field whose change makes Pulumi replace the resource."


def replacement_legend(diffs: Sequence[StackDiff]) -> list[str]:
    """The 🔴 legend and its blank line, only when some stack has a replacement to explain."""
    if any(d.of(Action.REPLACE) for d in diffs):
        return [REPLACEMENT_LEGEND, ""]
    return []


def render(
    diffs: Sequence[StackDiff],
    *,
    base_ref: str,
    head_ref: str = "working tree",
    limit: int = GITHUB_COMMENT_LIMIT,
) -> str:
    """The whole comment, shrinking the largest sections until it fits in `limit` characters."""
    header = "\n".join(
        [
            MARKER,
            f"## servestack plan diff: `{base_ref}` → `{head_ref}`",
            "",
            summary_table(diffs),
            "",
            *replacement_legend(diffs),
            "",
        ]
    )
    details = [2] * len(diffs)

    def section(i: int) -> str:
        return stack_section(diffs[i], details[i])

    sections = [section(i) for i in range(len(diffs))]

    def total() -> int:
        return len(header) + sum(len(s) + 1 for s in sections)

    while total() > limit:
        candidates = [i for i in range(len(diffs)) if details[i] > 0]
        if not candidates:
            break
        largest = max(candidates, key=lambda i: len(sections[i]))
        details[largest] -= 1
        sections[largest] = section(largest)
    text = header + "\n".join(sections)
    if len(text) > limit:
        note = "\n\n_Comment truncated to GitHub's size limit._\n"
        text = text[: limit - len(note)] + note
    return text
