"""The offline plan against a stack export in Pulumi's deployment format (version 3).

The fixture `data/local-stack-export.json` has the shape `pulumi stack export` writes for the
local stack after `pulumi up` (UntypedDeployment -> DeploymentV3 -> ResourceV3 in pulumi/pulumi
sdk/go/common/apitype/core.go; secrets as in property-values.json): the root Stack, a default
docker-build provider, provider IDs, a `version` on providers, a real digest, live outputs.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from infra.ops.engine_compare import (
    SECRET_SIG,
    SIG_KEY,
    CompareError,
    compare,
    normal_value,
    provider_ref,
    split_image,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "data" / "local-stack-export.json"
# The content tags in the fixture; the real plan's follow the model lock, so tests that use the
# real plan put its tags in their place (everything else in the fixture is as written).
FIXTURE_TAGS = ("ctx-c59e2657f08db900cb29", "tiny-v1-c59e2657")
SERVING = "urn:pulumi:local::servestack::servestack:serving:ModelService$kubernetes"
DEPLOYMENT = f"{SERVING}:apps/v1:Deployment::tiny"
SERVICE = f"{SERVING}:core/v1:Service::tiny-svc"
CONTAINER = "spec.template.spec.containers[tensorflow-serving]"


@pytest.fixture(scope="module")
def real_plan() -> dict[str, Any]:
    from infra.preview.engine import run_offline

    plan: dict[str, Any] = run_offline(ROOT, "local").to_json()
    return plan


def _tags(plan: dict[str, Any]) -> tuple[str, str]:
    image = next(r for r in plan["resources"] if r["type"] == "docker-build:index:Image")
    content, model = (t.rsplit(":", 1)[1] for t in image["inputs"]["tags"])
    return content, model


@pytest.fixture
def export(real_plan: dict[str, Any]) -> dict[str, Any]:
    text = FIXTURE.read_text(encoding="utf-8")
    for old, new in zip(FIXTURE_TAGS, _tags(real_plan), strict=True):
        text = text.replace(old, new)
    document: dict[str, Any] = json.loads(text)
    return document


def _resource(document: dict[str, Any], urn: str) -> dict[str, Any]:
    key = "deployment" if "deployment" in document else None
    resources = document[key]["resources"] if key else document["resources"]
    found: dict[str, Any] = next(r for r in resources if r["urn"] == urn)
    return found


def _container(resource: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = resource["inputs"]["spec"]["template"]["spec"]["containers"][0]
    return container


def _fields(result: Any) -> set[tuple[str, str]]:
    return {(m.urn, m.field) for m in result.mismatches}


def test_the_real_local_plan_agrees_with_the_engine_state(
    real_plan: dict[str, Any], export: dict[str, Any]
) -> None:
    result = compare(real_plan, export)
    assert result.lines() == []
    assert result.ok
    # Every resource of the plan was compared; the Stack and the default provider were not.
    assert result.compared == len(real_plan["resources"])


def test_the_fixture_is_a_version_3_deployment_with_the_engine_made_resources() -> None:
    document = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert document["version"] == 3
    resources = document["deployment"]["resources"]
    types = [r["type"] for r in resources]
    assert types[0] == "pulumi:pulumi:Stack"
    assert "pulumi:providers:docker-build" in types
    for resource in resources:
        assert set(resource) <= {
            # ResourceV3's fields (core.go / resources.json).
            "urn", "custom", "delete", "id", "type", "inputs", "outputs", "parent", "protect",
            "external", "dependencies", "initErrors", "provider", "propertyDependencies",
            "pendingReplacement", "additionalSecretOutputs", "aliases", "customTimeouts",
            "importID", "retainOnDelete", "deletedWith", "created", "modified",
        }  # fmt: skip
        if resource.get("provider"):
            assert resource["provider"].count("::") == 4  # <provider urn>::<provider id>


def test_a_changed_container_arg_is_named(
    real_plan: dict[str, Any], export: dict[str, Any]
) -> None:
    _container(_resource(export, DEPLOYMENT))["args"].append("--enable_batching=true")
    result = compare(real_plan, export)
    assert not result.ok
    assert _fields(result) == {(DEPLOYMENT, f"{CONTAINER}.args")}
    assert f"{CONTAINER}.args: plan [" in result.lines()[0]


def test_the_digest_is_ignored_but_repository_and_tag_are_compared(
    real_plan: dict[str, Any], export: dict[str, Any]
) -> None:
    container = _container(_resource(export, DEPLOYMENT))
    repository_and_tag = container["image"].split("@")[0]
    container["image"] = f"{repository_and_tag}@sha256:{'0' * 64}"
    assert compare(real_plan, export).ok
    container["image"] = "localhost:5001/tiny:ctx-0000000000000000000f@sha256:" + "0" * 64
    assert _fields(compare(real_plan, export)) == {(DEPLOYMENT, f"{CONTAINER}.image.tag")}
    container["image"] = repository_and_tag.replace("localhost:5001", "localhost:5000")
    assert _fields(compare(real_plan, export)) == {(DEPLOYMENT, f"{CONTAINER}.image.repository")}


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("spec", "template", "spec", "containers", 0, "readinessProbe", "periodSeconds"), 30,
         f"{CONTAINER}.readinessProbe"),
        (("spec", "template", "spec", "containers", 0, "ports", 0, "containerPort"), 9000,
         f"{CONTAINER}.ports"),
        (("spec", "template", "spec", "containers", 0, "resources", "limits", "memory"), "2Gi",
         f"{CONTAINER}.resources"),
        (("spec", "selector", "matchLabels", "servestack.io/track"), "canary", "spec.selector"),
        (("metadata", "labels", "env"), "dev", "metadata.labels"),
        (("spec", "template", "metadata", "labels", "team"), "x", "spec.template.metadata.labels"),
    ],
)  # fmt: skip
def test_each_field_that_matters_is_compared(
    real_plan: dict[str, Any],
    export: dict[str, Any],
    path: tuple[str | int, ...],
    value: Any,
    field: str,
) -> None:
    node: Any = _resource(export, DEPLOYMENT)["inputs"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert _fields(compare(real_plan, export)) == {(DEPLOYMENT, field)}


def test_replica_bounds_of_the_autoscaler_are_compared(
    real_plan: dict[str, Any], export: dict[str, Any]
) -> None:
    hpa = next(
        r
        for r in export["deployment"]["resources"]
        if r["type"] == "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
    )
    hpa["inputs"]["spec"]["maxReplicas"] = 4
    assert _fields(compare(real_plan, export)) == {(hpa["urn"], "spec.maxReplicas")}


def test_fields_providers_fill_in_are_left_out(
    real_plan: dict[str, Any], export: dict[str, Any]
) -> None:
    service = _resource(export, SERVICE)
    service["inputs"]["spec"]["clusterIP"] = "10.96.0.12"
    service["inputs"]["metadata"]["annotations"] = {"pulumi.com/autonamed": "false"}
    _container(_resource(export, DEPLOYMENT))["terminationMessagePath"] = "/dev/termination-log"
    assert compare(real_plan, export).ok


def test_missing_and_extra_resources_are_reported(
    real_plan: dict[str, Any], export: dict[str, Any]
) -> None:
    resources = export["deployment"]["resources"]
    service = _resource(export, SERVICE)
    resources.remove(service)
    stray = copy.deepcopy(service)
    stray["urn"] = SERVICE.replace("::tiny-svc", "::tiny-old-svc")
    resources.append(stray)
    result = compare(real_plan, export)
    assert result.only_in_plan == [SERVICE]
    assert result.only_in_engine == [stray["urn"]]
    assert result.lines()[0] == f"{SERVICE}: in the plan, not in the engine"


def test_a_type_or_provider_change_is_reported(
    real_plan: dict[str, Any], export: dict[str, Any]
) -> None:
    service = _resource(export, SERVICE)
    service["provider"] = "urn:pulumi:local::servestack::pulumi:providers:kubernetes::default::x"
    assert _fields(compare(real_plan, export)) == {(SERVICE, "provider")}


def test_a_resource_pending_deletion_fails_the_comparison(
    real_plan: dict[str, Any], export: dict[str, Any]
) -> None:
    old = copy.deepcopy(_resource(export, SERVICE))
    old["delete"] = True
    export["deployment"]["resources"].append(old)
    assert _fields(compare(real_plan, export)) == {(SERVICE, "delete")}


def _secret(text: str) -> dict[str, str]:
    return {SIG_KEY: SECRET_SIG, "ciphertext": text}


def test_secrets_compare_as_secret_and_plain_against_secret_is_a_mismatch() -> None:
    urn = "urn:pulumi:s::servestack::pulumi:providers:kubernetes::k8s"
    plan = {
        "stack": "s",
        "resources": [{"urn": urn, "type": "pulumi:providers:kubernetes", "parent": "",
                       "provider": "", "inputs": {"kubeconfig": "[secret]"}}],
    }  # fmt: skip
    engine: dict[str, Any] = {
        "version": 3,
        "deployment": {
            "resources": [
                {"urn": urn, "type": "pulumi:providers:kubernetes", "custom": True,
                 "inputs": {"kubeconfig": _secret("v1:abc"), "version": "4.34.2"}}
            ]
        },
    }  # fmt: skip
    assert compare(plan, engine).ok
    engine["deployment"]["resources"][0]["inputs"]["kubeconfig"] = "apiVersion: v1"
    assert _fields(compare(plan, engine)) == {(urn, "kubeconfig")}


def test_normal_values() -> None:
    assert normal_value({"b": [8500.0, 1.5], "a": _secret("x")}) == {
        "a": "[secret]",
        "b": [8500, 1.5],
    }
    assert split_image("localhost:5001/tiny:ctx-1@sha256:" + "a" * 64) == {
        "repository": "localhost:5001/tiny",
        "tag": "ctx-1",
    }
    assert split_image("localhost:5001/tiny") == {"repository": "localhost:5001/tiny", "tag": ""}
    default = "urn:pulumi:local::servestack::pulumi:providers:docker-build::default_0_0_22"
    assert provider_ref(f"{default}::9d6a2f53") == ""
    explicit = (
        "urn:pulumi:local::servestack::servestack:platform:Platform"
        "$pulumi:providers:kubernetes::platform-k8s"
    )
    assert provider_ref(f"{explicit}::4b1c") == explicit
    assert provider_ref(explicit) == explicit


@pytest.mark.parametrize(
    ("plan", "export", "message"),
    [
        ({"resources": []}, {"version": 3, "deployment": {}}, "not a servestack plan"),
        ({"stack": "s", "resources": []}, {"resources": []}, "not a stack export"),
        ({"stack": "s", "resources": []}, {"version": 2, "deployment": {}}, "version 2"),
    ],
)
def test_inputs_of_the_wrong_shape_fail_in_one_line(
    plan: dict[str, Any], export: dict[str, Any], message: str
) -> None:
    with pytest.raises(CompareError, match=message):
        compare(plan, export)


@pytest.fixture
def files(
    tmp_path: Path, real_plan: dict[str, Any], export: dict[str, Any]
) -> Iterator[tuple[Path, Path, dict[str, Any]]]:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(real_plan), encoding="utf-8")
    yield plan_file, tmp_path / "export.json", export


def test_cli_exit_codes_and_report(
    files: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    from infra.cli.app import app

    plan_file, export_file, export = files
    export_file.write_text(json.dumps(export), encoding="utf-8")
    runner = CliRunner()
    report = tmp_path / "out" / "comparison.json"
    args = ["engine-compare", "--plan", str(plan_file), "--export", str(export_file)]
    ok = runner.invoke(app, [*args, "--report", str(report)])
    assert ok.exit_code == 0, ok.output
    assert json.loads(report.read_text(encoding="utf-8"))["ok"] is True

    _container(_resource(export, DEPLOYMENT))["args"] = []
    export_file.write_text(json.dumps(export), encoding="utf-8")
    bad = runner.invoke(app, args)
    assert bad.exit_code == 1
    assert f"{DEPLOYMENT}: {CONTAINER}.args: plan [" in bad.output

    export_file.write_text("{", encoding="utf-8")
    broken = runner.invoke(app, args)
    assert broken.exit_code == 2
    assert "not JSON" in broken.output
