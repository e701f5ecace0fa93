"""The offline preview runs the real program and captures what the engine would receive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.preview.engine import Plan, run_offline
from infra.preview.manifests import kubernetes_objects, manifest_path
from infra.preview.stackfile import available_stacks
from tests.config.hostile import CIPHERTEXT

ROOT = Path(__file__).resolve().parents[2]
STACKS = available_stacks(ROOT)


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {stack: run_offline(ROOT, stack) for stack in STACKS}


def test_every_shipped_stack_is_found() -> None:
    assert STACKS == ["local", "dev", "staging", "prod"]


def test_plan_json_has_documented_shape(plans: dict[str, Plan]) -> None:
    data = plans["prod"].to_json()
    assert set(data) == {"project", "stack", "resources", "outputs", "policies"}
    assert data["project"] == "servestack"
    assert data["stack"] == "prod"
    for resource in data["resources"]:
        assert {"urn", "type", "name", "parent", "inputs"} <= set(resource)
        assert resource["urn"].startswith("urn:pulumi:prod::servestack::")
    for verdict in data["policies"]:
        assert set(verdict) == {"policy", "level", "urn", "message"}
    json.dumps(data)  # serialisable as is


def test_inputs_use_engine_camel_case_names(plans: dict[str, Plan]) -> None:
    (cluster,) = plans["prod"].by_type("gcp:container/cluster:Cluster")
    assert cluster.inputs["privateClusterConfig"]["enablePrivateNodes"] is True
    assert "workloadIdentityConfig" in cluster.inputs
    assert not any("_" in key for key in cluster.inputs)


def test_resources_have_parents_and_providers(plans: dict[str, Plan]) -> None:
    plan = plans["prod"]
    urns = {r.urn for r in plan.resources}
    deployments = plan.by_type("kubernetes:apps/v1:Deployment")
    assert deployments
    for deployment in deployments:
        assert deployment.parent in urns, "a Deployment belongs to its ModelService"
        assert deployment.provider.endswith("pulumi:providers:kubernetes::platform-k8s")


def test_numbers_are_integers_not_floats(plans: dict[str, Plan]) -> None:
    for obj in kubernetes_objects(plans["prod"].resources):
        text = json.dumps(obj)
        assert ".0," not in text and ".0}" not in text, obj["kind"]


def test_outputs_keep_secrets_masked(plans: dict[str, Plan]) -> None:
    outputs = plans["prod"].outputs
    assert outputs["endpoint"] == "[secret]"
    assert outputs["kubeconfig"] == "[secret]"
    assert outputs["registryUrl"] == (
        "europe-west4-docker.pkg.dev/acme-ml-serving-prod/serving-models"
    )


def test_mocks_give_realistic_derived_values(plans: dict[str, Plan]) -> None:
    plan = plans["prod"]
    images = {r.name: r for r in plan.by_type("docker-build:index:Image")}
    refs = plan.outputs["images"]
    for server, ref in refs.items():
        registry, _, rest = ref.partition(f"/{server}")
        assert registry == plan.outputs["registryUrl"]
        assert "@sha256:" in rest and len(rest.split("@sha256:")[1]) == 64
    assert images


def test_local_stack_declares_no_gcp_resource(plans: dict[str, Plan]) -> None:
    assert not [r for r in plans["local"].resources if r.type.startswith("gcp:")]


def test_two_runs_are_identical() -> None:
    first = json.dumps(run_offline(ROOT, "staging").to_json(), sort_keys=True)
    second = json.dumps(run_offline(ROOT, "staging").to_json(), sort_keys=True)
    assert first == second


def test_manifest_paths_are_unique(plans: dict[str, Plan]) -> None:
    for plan in plans.values():
        paths = [manifest_path(o) for o in kubernetes_objects(plan.resources)]
        assert len(paths) == len(set(paths)), plan.stack
        assert Path("_cluster/namespace-serving.yaml") in paths


def test_secure_values_are_accepted_and_stay_secret(tmp_path: Path) -> None:
    text = (ROOT / "stacks/Pulumi.local.yaml").read_text()
    secret = CIPHERTEXT
    stack_file = tmp_path / "local.yaml"
    stack_file.write_text(
        text.replace(
            "    registry: localhost:5001\n",
            f"    registry: localhost:5001\n    registryPassword:\n      secure: {secret}\n",
        )
    )
    plan = run_offline(ROOT, "local", stack_file=stack_file)
    (image,) = plan.by_type("docker-build:index:Image")
    assert image.inputs["registries"] == "[secret]"
    assert secret not in json.dumps(plan.to_json())


def test_secure_value_on_a_plain_key_is_a_config_error(tmp_path: Path) -> None:
    from infra.config import ConfigError

    text = (ROOT / "stacks/Pulumi.local.yaml").read_text()
    stack_file = tmp_path / "local.yaml"
    stack_file.write_text(text.replace('"1.34"', "\n    secure: AAABAKx1"))
    with pytest.raises(ConfigError, match="servestack:kubernetesVersion: must not be a secure"):
        run_offline(ROOT, "local", stack_file=stack_file)


def test_endpoints_name_the_load_balancer_or_the_cluster_dns(plans: dict[str, Plan]) -> None:
    prod = plans["prod"].outputs["endpoints"]["resnet"]
    assert prod["grpc"].startswith("10.") and prod["grpc"].endswith(":8500")
    dev = plans["dev"].outputs["endpoints"]["tiny"]
    assert dev == {
        "grpc": "tiny.serving.svc.cluster.local:8500",
        "rest": "http://tiny.serving.svc.cluster.local:8501",
    }
