"""GPU budget arithmetic over zones, and the pack entry point the CLI runs."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest

from policies.base import Resource
from policies.cost import gpu_pools
from policies.pack import PACK_NAME, POLICIES
from policies.values import to_plain
from tests.policies import builders as b

ROOT = Path(__file__).resolve().parents[2]


def as_resources(items: list[dict[str, Any]]) -> list[Resource]:
    return [Resource(i["type"], i["urn"], i["name"], to_plain(i["inputs"])) for i in items]


@pytest.mark.parametrize(
    ("cluster_location", "pool_inputs", "expected"),
    [
        ("europe-west4", {"autoscaling": {"totalMaxNodeCount": 6.0}}, 12.0),
        ("europe-west4", {"autoscaling": {"maxNodeCount": 2.0}}, 12.0),
        ("europe-west4-a", {"autoscaling": {"maxNodeCount": 2.0}, "location": None}, 4.0),
        (
            "europe-west4",
            {
                "autoscaling": {"maxNodeCount": 2.0},
                "nodeLocations": ["europe-west4-a", "europe-west4-b"],
            },
            8.0,
        ),
        ("europe-west4", {"autoscaling": None, "nodeCount": 1.0}, 6.0),
    ],
)
def test_gpu_pool_upper_bound(
    cluster_location: str, pool_inputs: dict[str, Any], expected: float
) -> None:
    pool = b.node_pool(gpus=2.0)
    for key, value in pool_inputs.items():
        if value is None:
            pool["inputs"].pop(key, None)
        else:
            pool["inputs"][key] = value
    (found,) = gpu_pools(as_resources([b.cluster(cluster_location), pool]))
    assert found.max_gpus == expected


def test_cpu_pools_do_not_count() -> None:
    assert gpu_pools(as_resources([b.cluster(), b.node_pool("cpu", gpus=0.0)])) == []


def test_pack_entry_point_builds_the_pack_with_every_policy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pulumi_policy

    built: dict[str, Any] = {}

    def record(**kwargs: Any) -> None:
        built.update(kwargs)

    monkeypatch.setattr(pulumi_policy, "PolicyPack", record)
    runpy.run_path(str(ROOT / "policies" / "__main__.py"), run_name="__main__")
    assert built["name"] == PACK_NAME
    assert [p.name for p in built["policies"]] == [p.name for p in POLICIES]
    assert len({p.name for p in POLICIES}) == len(POLICIES)


def test_pack_serves_the_analyzer_protocol_when_run_from_its_directory() -> None:
    import subprocess
    import sys

    import grpc
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import analyzer_pb2_grpc

    process = subprocess.Popen(
        [sys.executable, str(ROOT / "policies" / "__main__.py")],
        cwd=ROOT / "policies",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().decode().strip()
        assert port.isdigit(), process.stderr.read().decode() if process.stderr else ""
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = analyzer_pb2_grpc.AnalyzerStub(channel)
            info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
        assert info.name == PACK_NAME
        assert [p.name for p in info.policies] == [p.name for p in POLICIES]
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_readme_lists_every_policy() -> None:
    readme = (ROOT / "policies" / "README.md").read_text(encoding="utf-8")
    assert [p.name for p in POLICIES if f"`{p.name}`" not in readme] == []


def _overlap(delete_before_replace: bool | None, budget: int) -> list[tuple[str, str]]:
    from dataclasses import replace

    from policies.cost import check_replacement_overlap

    cluster, pool = as_resources([b.cluster(), b.node_pool(gpus=1.0)])
    pool = replace(pool, delete_before_replace=delete_before_replace)
    return list(check_replacement_overlap([cluster, pool], {"gpuBudget": budget}))


def test_create_before_delete_pool_within_twice_its_gpus_is_compliant() -> None:
    assert _overlap(False, 12) == []


def test_create_before_delete_pool_beyond_the_budget_is_a_violation() -> None:
    ((message, urn),) = _overlap(False, 8)
    assert "needs 12 GPUs during the swap" in message
    assert urn.endswith("::gpu-l4")


def test_delete_before_create_pool_needs_no_overlap() -> None:
    assert _overlap(True, 6) == []
    assert _overlap(None, 6) == []
