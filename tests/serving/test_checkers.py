"""External checkers on the rendered manifests: kubernetes-validate and checkov."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from infra.config import StackSpec
from tests.serving import crds
from tests.serving.conftest import ROOT, STACKS, kubernetes_objects, render, spec_of
from tests.serving.helpers import with_serving

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
CHECKOV_CONFIG = ROOT / ".checkov.yaml"
# Custom resources have no schema in kubernetes-validate: the vendored CRDs check them.
CUSTOM_KINDS = {"PodMonitoring", "Gateway", "HTTPRoute", "HealthCheckPolicy"}


def schema_version(spec: StackSpec) -> str:
    return f"{spec.kubernetes_version}.0"


def node_port_spec() -> StackSpec:
    """The local stack exposed on fixed node ports, as a kind cluster maps them."""
    return with_serving(
        spec_of("local"), expose="nodeport", node_ports={"grpc": 30500, "http": 30501}
    )


def test_every_object_validates_against_the_stacks_kubernetes(stack_spec: StackSpec) -> None:
    checked = 0
    for obj in kubernetes_objects(render(stack_spec)):
        if obj["kind"] in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(obj, schema_version(stack_spec), strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{obj['kind']} {obj['metadata']['name']}: {error.message}")
        checked += 1
    assert checked >= 6


def test_custom_resources_validate_against_their_vendored_crds(stack_spec: StackSpec) -> None:
    checked: set[str] = set()
    for obj in kubernetes_objects(render(stack_spec)):
        if obj["kind"] not in CUSTOM_KINDS:
            continue
        try:
            crds.validate(obj)
        except jsonschema.ValidationError as error:
            pytest.fail(f"{obj['kind']} {obj['metadata']['name']}: {error.message}")
        checked.add(obj["kind"])
    gke_gateway = stack_spec.cluster is not None and stack_spec.serving.expose != "cluster"
    if gke_gateway:
        assert {"Gateway", "HTTPRoute", "HealthCheckPolicy", "PodMonitoring"} <= checked


def test_crd_schemas_reject_what_the_api_server_would() -> None:
    staging = kubernetes_objects(render(spec_of("staging")))
    route = next(o for o in staging if o["kind"] == "HTTPRoute")
    crds.validate(route)
    misspelt = json.loads(json.dumps(route))
    misspelt["spec"]["rules"][-1]["backendRefs"][0]["weigth"] = 10
    too_heavy = json.loads(json.dumps(route))
    too_heavy["spec"]["rules"][-1]["backendRefs"][0]["weight"] = 2_000_000
    no_path = json.loads(json.dumps(next(o for o in staging if o["kind"] == "HealthCheckPolicy")))
    no_path["spec"]["default"]["config"]["type"] = "SOAP"
    for broken in (misspelt, too_heavy, no_path):
        with pytest.raises(jsonschema.ValidationError):
            crds.validate(broken)


def test_vendored_crds_match_their_recorded_checksums(tmp_path: Path) -> None:
    sources = crds.verify_checksums()
    assert sources["gateway.networking.k8s.io_httproutes.yaml"]["ref"] == "v1.2.1"
    assert set(sources) == {p.name for p in crds.CRD_DIR.glob("*.yaml")}


def test_node_port_services_validate() -> None:
    spec = node_port_spec()
    services = [
        o
        for o in kubernetes_objects(render(spec))
        if o["kind"] == "Service" and o["spec"]["type"] == "NodePort"
    ]
    assert len(services) == len(spec.servers)
    for service in services:
        kubernetes_validate.validate(service, schema_version(spec), strict=True)
    broken = json.loads(json.dumps(services[0]))
    broken["spec"]["ports"][0]["nodePorts"] = 30500
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, schema_version(spec), strict=True)


def test_validator_rejects_an_unknown_field() -> None:
    spec = spec_of("prod")
    deployment = next(o for o in kubernetes_objects(render(spec)) if o["kind"] == "Deployment")
    broken = json.loads(json.dumps(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, schema_version(spec), strict=True)


def run_checkov(directory: Path) -> dict[str, Any]:
    env = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}
    result = subprocess.run(
        [
            str(CHECKOV),
            "--config-file",
            str(CHECKOV_CONFIG),
            "--framework",
            "kubernetes",
            "--skip-download",
            "--quiet",
            "--compact",
            "--output",
            "json",
            "--directory",
            str(directory),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=directory,
        timeout=600,
        check=False,
    )
    assert result.stdout.strip(), result.stderr[-2000:]
    report = json.loads(result.stdout)
    reports: list[dict[str, Any]] = report if isinstance(report, list) else [report]
    (kube,) = [r for r in reports if r.get("check_type") == "kubernetes"]
    return kube


needs_checkov = pytest.mark.skipif(
    not CHECKOV.exists(),
    reason=f"checkov lives in its own venv ({CHECKOV.parent.parent}); `make` creates it",
)


@needs_checkov
def test_checkov_passes_every_stack(tmp_path: Path) -> None:
    variants = {stack: spec_of(stack) for stack in STACKS}
    variants["local-nodeport"] = node_port_spec()
    for stack, spec in variants.items():
        objects = kubernetes_objects(render(spec))
        with (tmp_path / f"{stack}.yaml").open("w") as handle:
            yaml.safe_dump_all(objects, handle, sort_keys=True)
    kube = run_checkov(tmp_path)
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']})"
        for c in kube["results"]["failed_checks"]
    ]
    assert failed == []
    assert kube["summary"]["passed"] > 100
    assert kube["summary"]["parsing_errors"] == 0


@needs_checkov
def test_checkov_catches_a_weakened_pod(tmp_path: Path) -> None:
    spec = spec_of("local")
    deployment = next(o for o in kubernetes_objects(render(spec)) if o["kind"] == "Deployment")
    weak = json.loads(json.dumps(deployment))
    container = weak["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"]["allowPrivilegeEscalation"] = True
    del container["readinessProbe"]
    (tmp_path / "weak.yaml").write_text(yaml.safe_dump(weak, sort_keys=True))
    failed = {c["check_id"] for c in run_checkov(tmp_path)["results"]["failed_checks"]}
    assert {"CKV_K8S_20", "CKV_K8S_9"} <= failed
