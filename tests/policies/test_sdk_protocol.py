"""The pack as the Pulumi CLI drives it: the SDK's analyzer service, config and requests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer

from policies.pack import PACK_NAME, POLICIES
from tests.policies import builders as b

ROOT = Path(__file__).resolve().parents[2]
SDK_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def servicer(config_file: str = "prod.json") -> _PolicyAnalyzerServicer:
    service = _PolicyAnalyzerServicer(PACK_NAME, "0.1.0", POLICIES, EnforcementLevel.ADVISORY)
    config = json.loads((ROOT / "policies" / "config" / config_file).read_text())
    levels = {"advisory": proto.ADVISORY, "mandatory": proto.MANDATORY}
    all_level = config.get("all", {}).get("enforcementLevel", "advisory")
    request = proto.ConfigureAnalyzerRequest()
    # The CLI hands every policy its resolved level and its own properties.
    for policy in POLICIES:
        entry = dict(config.get(policy.name, {}))
        level = entry.pop("enforcementLevel", all_level)
        properties = struct_pb2.Struct()
        properties.update(entry)
        request.policyConfig[policy.name].CopyFrom(
            proto.PolicyConfig(enforcementLevel=levels[level], properties=properties)
        )
    service.Configure(request, None)  # type: ignore[no-untyped-call]
    return service


def _struct(inputs: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(inputs)
    return struct


def analyze(service: _PolicyAnalyzerServicer, resource: dict[str, Any]) -> list[Any]:
    request = proto.AnalyzeRequest(
        type=resource["type"],
        properties=_struct(resource["inputs"]),
        urn=resource["urn"],
        name=resource["name"],
    )
    return list(service.Analyze(request, None).diagnostics)  # type: ignore[no-untyped-call]


def test_analyzer_info_declares_every_policy_with_its_schema() -> None:
    info = _PolicyAnalyzerServicer(
        PACK_NAME, "0.1.0", POLICIES, EnforcementLevel.ADVISORY
    ).GetAnalyzerInfo(None, None)  # type: ignore[no-untyped-call]
    assert [p.name for p in info.policies] == [p.name for p in POLICIES]
    schemas = {p.name: dict(p.configSchema.properties) for p in info.policies}
    assert "allowedRegistries" in schemas["image-allowed-registry"]
    assert "gpuBudget" in schemas["gpu-budget"]


def test_compliant_resources_pass_under_the_cli_protocol() -> None:
    service = servicer()
    for resource in b.compliant_stack():
        assert analyze(service, resource) == [], resource["name"]


def test_violation_is_reported_mandatory_with_the_policy_name() -> None:
    resource = b.deployment()
    resource["inputs"]["spec"]["template"]["spec"]["hostNetwork"] = True
    (diagnostic,) = analyze(servicer(), resource)
    assert diagnostic.policyName == "pod-host-isolation"
    assert diagnostic.enforcementLevel == proto.MANDATORY
    assert "hostNetwork" in diagnostic.message


def test_dev_config_makes_the_same_violation_advisory() -> None:
    resource = b.deployment()
    resource["inputs"]["spec"]["template"]["spec"]["hostNetwork"] = True
    diagnostics = analyze(servicer("dev.json"), resource)
    assert "pod-host-isolation" in {d.policyName for d in diagnostics}
    assert {d.enforcementLevel for d in diagnostics} == {proto.ADVISORY}


def test_unknown_image_under_the_proxy_raises_nothing() -> None:
    resource = b.deployment()
    resource["inputs"]["spec"]["template"]["spec"]["containers"][0]["image"] = SDK_UNKNOWN
    assert analyze(servicer(), resource) == []


def test_stack_policies_run_under_the_cli_protocol() -> None:
    stack = [*b.platform(), *b.serving_app("resnet"), b.node_pool("gpu-extra", gpus=2.0)]
    request = proto.AnalyzeStackRequest(
        resources=[
            proto.AnalyzerResource(
                type=r["type"], properties=_struct(r["inputs"]), urn=r["urn"], name=r["name"]
            )
            for r in stack
        ]
    )
    diagnostics = list(servicer().AnalyzeStack(request, None).diagnostics)  # type: ignore[no-untyped-call]
    assert [(d.policyName, d.enforcementLevel) for d in diagnostics] == [
        ("gpu-budget", proto.MANDATORY)
    ]
    assert "18 GPUs" in diagnostics[0].message
