"""Values unknown at preview time skip the checks that need them, and nothing else."""

from __future__ import annotations

from typing import Any

import pytest

from policies.engine import evaluate
from policies.values import UNKNOWN, get, is_unknown, to_plain
from tests.policies import builders as b

SDK_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
MARKERS = [SDK_UNKNOWN, "[computed]", None]


def verdicts(stack: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(v.policy, v.message) for v in evaluate(stack, b.CONFIG)]


@pytest.mark.parametrize("marker", MARKERS)
def test_unknown_image_skips_image_rules(marker: object) -> None:
    stack = b.compliant_stack()
    for item in stack:
        if item["type"].endswith(":Deployment"):
            item["inputs"]["spec"]["template"]["spec"]["containers"][0]["image"] = marker
    assert verdicts(stack) == []


@pytest.mark.parametrize("marker", MARKERS)
def test_unknown_service_account_is_not_the_default(marker: object) -> None:
    stack = b.compliant_stack()
    for item in stack:
        if item["type"].endswith(":NodePool"):
            item["inputs"]["nodeConfig"]["serviceAccount"] = marker
    assert verdicts(stack) == []


def test_unknown_cluster_settings_skip_cluster_rules() -> None:
    stack = b.compliant_stack()
    cluster = stack[0]["inputs"]
    cluster["privateClusterConfig"]["enablePrivateNodes"] = SDK_UNKNOWN
    cluster["workloadIdentityConfig"] = {"workloadPool": "[computed]"}
    cluster["releaseChannel"] = SDK_UNKNOWN
    cluster["resourceLabels"] = "[computed]"
    assert verdicts(stack) == []


def test_unknown_hpa_target_does_not_invent_replica_violations() -> None:
    stack = b.compliant_stack()
    for item in stack:
        if item["type"].endswith(":HorizontalPodAutoscaler"):
            item["inputs"]["spec"]["scaleTargetRef"]["name"] = "[computed]"
    assert verdicts(stack) == []


def test_unknown_gpu_count_skips_gpu_rules_but_known_pools_still_count() -> None:
    stack = b.compliant_stack()
    stack.append(
        b.node_pool("gpu-unknown", gpus=1.0, autoscaling={"totalMaxNodeCount": "[computed]"})
    )
    assert verdicts(stack) == []
    stack.append(b.node_pool("gpu-extra", gpus=3.0))  # 6 nodes x 3 GPUs more
    assert [p for p, _ in verdicts(stack)] == ["gpu-budget"]


def test_known_violation_next_to_unknown_values_is_still_reported() -> None:
    stack = b.compliant_stack()
    deployment = next(r for r in stack if r["type"].endswith(":Deployment"))
    container = deployment["inputs"]["spec"]["template"]["spec"]["containers"][0]
    container["image"] = "[computed]"
    container["securityContext"]["allowPrivilegeEscalation"] = True
    assert [p for p, _ in verdicts(stack)] == ["pod-security-context"]


def test_plain_view_marks_unknowns() -> None:
    plain = to_plain({"a": [SDK_UNKNOWN, 1.0], "b": {"c": None}, "d": "x"})
    assert plain == {"a": [UNKNOWN, 1.0], "b": {"c": UNKNOWN}, "d": "x"}
    assert get(plain, "b", "c") is UNKNOWN
    assert get(plain, "b", "missing") is None
    assert get(plain, "a", 0, "deeper") is UNKNOWN
    assert is_unknown("[secret]") and not is_unknown("")
