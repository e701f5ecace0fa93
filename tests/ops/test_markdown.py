from __future__ import annotations

from infra.ops.diff import StackDiff, diff_plans
from infra.ops.markdown import (
    GITHUB_COMMENT_LIMIT,
    MARKER,
    REPLACEMENT_LEGEND,
    render,
    stack_section,
)
from tests.ops.plans import deployment, namespace, node_pool, plan

IMG_V1 = "reg/tiny:v1@sha256:1111"
IMG_V2 = "reg/tiny:v2@sha256:2222"


def _bump(stack: str) -> StackDiff:
    return diff_plans(
        stack, plan(stack, deployment(stack, IMG_V1)), plan(stack, deployment(stack, IMG_V2))
    )


def _big(stack: str, n: int) -> StackDiff:
    """A stack whose diff is large: n deployments with long, changing images."""
    base, head = plan(stack), plan(stack)
    for i in range(n):
        for doc, image in ((base, "a" * 200), (head, "b" * 200)):
            d = deployment(stack, image)
            d["urn"] += f"-{i}"
            doc["resources"].append(d)
    return diff_plans(stack, base, head)


def test_comment_starts_with_marker_and_summary_table() -> None:
    text = render([_bump("dev"), diff_plans("prod", plan("prod"), plan("prod"))], base_ref="main")
    assert text.startswith(MARKER)
    lines = text.splitlines()
    table = [line for line in lines if line.startswith("| `")]
    assert table[0].startswith("| `dev` | 0 | 1 | 0 | 0 | 0 / 0 |")
    assert table[1].startswith("| `prod` | 0 | 0 | 0 | 0 | 0 / 0 | ✅ no changes")
    assert text.index("| Stack |") < text.index("### Stack `dev`")
    assert "<details>" in text and "</details>" in text
    assert "spec.template.spec.containers[0].image" in text
    assert IMG_V2 in text


def test_replacement_is_called_out() -> None:
    base = plan("dev", node_pool("dev"))
    head = plan("dev", node_pool("dev"))
    head["resources"][0]["inputs"]["nodeConfig"]["spot"] = False
    section = stack_section(diff_plans("dev", base, head))
    assert "🔴 **Replacements:**" in section
    assert "replaced because of `nodeConfig.spot`" in section


def test_table_cells_escape_pipes_and_html() -> None:
    base = plan("dev", namespace("dev"))
    head = plan("dev", namespace("dev"))
    head["resources"][0]["inputs"]["metadata"]["labels"] = {"x": "a|b<script>"}
    section = stack_section(diff_plans("dev", base, head))
    assert "a&#124;b&lt;script&gt;" in section
    assert "<script>" not in section


def test_policy_and_error_sections() -> None:
    verdict = {"policy": "gpu-budget", "level": "mandatory", "urn": "", "message": "9 > 8 GPUs"}
    diff = diff_plans("prod", plan("prod"), plan("prod", policies=[verdict]))
    text = render([diff], base_ref="main")
    assert "⛔ policy violations" in text
    assert "**mandatory** `gpu-budget`: 9 &gt; 8 GPUs" in text
    failed = diff_plans("qa", None, plan("qa"), base_error="git ref has no stacks/Pulumi.qa.yaml")
    assert "The base plan failed" in stack_section(failed)


def test_large_comment_is_summarised_under_the_limit() -> None:
    diffs = [_big("dev", 40), _big("staging", 400), _bump("prod")]
    full = render(diffs, base_ref="main", limit=10**9)
    assert len(full) > GITHUB_COMMENT_LIMIT
    text = render(diffs, base_ref="main")
    assert len(text) <= GITHUB_COMMENT_LIMIT
    # The largest section was summarised; the small one keeps its details.
    assert "| `staging` | 0 | 400 |" in text
    assert IMG_V2 in text
    staging = text[text.index("### Stack `staging`") : text.index("### Stack `prod`")]
    assert "b" * 100 not in staging


def test_tiny_limit_still_keeps_summary_table() -> None:
    text = render([_big("dev", 50)], base_ref="main", limit=1500)
    assert len(text) <= 1500
    assert "| `dev` | 0 | 50 |" in text


def _replacement() -> StackDiff:
    base = plan("dev", node_pool("dev"))
    head = plan("dev", node_pool("dev"))
    head["resources"][0]["inputs"]["nodeConfig"]["spot"] = False
    return diff_plans("dev", base, head)


def test_replacement_legend_only_when_something_is_replaced() -> None:
    without = render([_bump("dev")], base_ref="main")
    assert REPLACEMENT_LEGEND not in without
    with_one = render([_bump("staging"), _replacement()], base_ref="main")
    assert with_one.count(REPLACEMENT_LEGEND) == 1


def test_change_header_names_the_type_once() -> None:
    section = stack_section(_bump("dev"))
    header = next(line for line in section.splitlines() if line.startswith("- 🟡 update"))
    assert header == "- 🟡 update `kubernetes:apps/v1:Deployment::tiny-stable`"
    assert header.count("Deployment") == 1
