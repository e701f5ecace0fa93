"""canary-analysis: a canary Deployment states its thresholds; the rendered ones do."""

from __future__ import annotations

import json
from typing import Any

from infra.config.targets import serving_target
from infra.preview.stackfile import load_spec
from infra.serving.objects import CANARY_ANALYSIS_ANNOTATION, deployment
from policies.base import Resource
from policies.canary import check_canary_analysis
from tests.ops.test_canary import ROOT
from tests.serving.helpers import with_server


def _resource(manifest: dict[str, Any]) -> Resource:
    return Resource(
        type="kubernetes:apps/v1:Deployment",
        urn="urn:pulumi:staging::servestack::kubernetes:apps/v1:Deployment::resnet-canary",
        name="resnet-canary",
        props=manifest,
        parent="",
        provider_props={},
    )


def _canary(spec: Any) -> dict[str, Any]:
    return deployment(
        serving_target(spec),
        spec.servers[1],
        namespace="serving",
        image="registry/resnet@sha256:" + "ab" * 32,
        track="canary",
        placement=None,
    )


def test_the_rendered_canary_with_analysis_complies() -> None:
    manifest = _canary(load_spec(ROOT, "staging"))
    annotation = json.loads(manifest["metadata"]["annotations"][CANARY_ANALYSIS_ANNOTATION])
    assert annotation["maxLatencyRatio"] == 1.25
    assert list(check_canary_analysis(_resource(manifest), {})) == []


def test_a_canary_without_analysis_violates() -> None:
    bare = with_server(load_spec(ROOT, "staging"), "resnet", canary={"version": 4, "weight": 20})
    manifest = _canary(bare)
    assert "annotations" not in manifest["metadata"]
    (message,) = check_canary_analysis(_resource(manifest), {})
    assert "canary.analysis" in message


def test_thresholds_missing_from_the_annotation_violate() -> None:
    manifest = _canary(load_spec(ROOT, "staging"))
    manifest["metadata"]["annotations"][CANARY_ANALYSIS_ANNOTATION] = '{"window":"10m"}'
    (message,) = check_canary_analysis(_resource(manifest), {})
    assert "maxErrorRateIncrease" in message


def test_a_stable_deployment_needs_no_analysis() -> None:
    spec = load_spec(ROOT, "staging")
    manifest = deployment(
        serving_target(spec),
        spec.servers[1],
        namespace="serving",
        image="registry/resnet@sha256:" + "ab" * 32,
        track="stable",
        placement=None,
    )
    assert list(check_canary_analysis(_resource(manifest), {})) == []
