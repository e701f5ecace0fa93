"""The Platform under mocks, for every shipped stack: what it declares and with which inputs."""

from __future__ import annotations

import json

import pulumi_kubernetes as k8s
import pytest

from infra.config.targets import pool_target
from infra.platform.nodepool import gke_pool_name
from infra.preview.capture import SECRET
from tests.platform.conftest import GKE_STACKS, PlatformRun, spec_of

CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
REPOSITORY = "gcp:artifactregistry/repository:Repository"
REPO_IAM = "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember"
PROJECT_IAM = "gcp:projects/iAMMember:IAMMember"
ACCOUNT = "gcp:serviceaccount/account:Account"
K8S_PROVIDER = "pulumi:providers:kubernetes"


def test_local_plan_declares_no_gcp_resource(runs: dict[str, PlatformRun]) -> None:
    local = runs["local"]
    assert not [r for r in local.resources if r.type.startswith("gcp:")]
    provider = local.one(K8S_PROVIDER)
    assert provider.inputs["context"] == "kind-servestack"
    assert "kubeconfig" not in provider.inputs
    assert local.outputs["registryUrl"] == "localhost:5001"
    assert local.outputs["location"] == "local"
    assert local.platform.pools == {}
    assert local.outputs["nodePools"] == {}


@pytest.mark.parametrize("stack", GKE_STACKS)
def test_gke_plan_shape(runs: dict[str, PlatformRun], stack: str) -> None:
    run = runs[stack]
    spec = spec_of(stack)
    assert len(run.of_type(CLUSTER)) == 1
    assert sorted(p.inputs["name"] for p in run.of_type(NODE_POOL)) == sorted(
        gke_pool_name(p, pool_target(spec)) for p in spec.node_pools
    )
    assert run.outputs["nodePools"] == {
        p.name: gke_pool_name(p, pool_target(spec)) for p in spec.node_pools
    }
    # The images' repository and the build cache's own (spec.images.registryCache).
    assert len(run.of_type(REPOSITORY)) == (2 if spec.images.registry_cache else 1)
    assert len(run.of_type(ACCOUNT)) == 1
    assert len(run.of_type(K8S_PROVIDER)) == 1
    # Children hang below their component; names derive from the component's name.
    for resource in run.resources:
        if resource.type.startswith("gcp:"):
            assert "servestack:platform:" in resource.parent
            assert resource.name.startswith("platform-")


@pytest.mark.parametrize("stack", GKE_STACKS)
def test_outputs_with_secret_endpoint_and_kubeconfig(
    runs: dict[str, PlatformRun], stack: str
) -> None:
    spec = spec_of(stack)
    assert spec.cluster is not None
    outputs = runs[stack].outputs
    assert outputs["clusterName"] == spec.cluster.name
    assert outputs["location"] == spec.cluster.location
    assert outputs["endpoint"] == SECRET
    assert outputs["kubeconfig"] == SECRET
    assert outputs["registryUrl"] == (
        f"europe-west4-docker.pkg.dev/{spec.gcp_project}/serving-models"
    )


def test_kube_provider_kubeconfig_is_secret_and_waits_for_the_pools(
    runs: dict[str, PlatformRun],
) -> None:
    run = runs["prod"]
    provider = run.one(K8S_PROVIDER)
    assert provider.inputs["kubeconfig"] == SECRET
    dependencies = provider.options["dependencies"]
    for pool in run.of_type(NODE_POOL):
        assert pool.urn in dependencies
    assert isinstance(run.platform.kube_provider, k8s.Provider)


def test_node_account_has_only_the_named_roles(runs: dict[str, PlatformRun]) -> None:
    run = runs["prod"]
    email = "serve-prod-nodes@acme-ml-serving-prod.iam.gserviceaccount.com"
    (project_binding,) = run.of_type(PROJECT_IAM)
    assert project_binding.inputs == {
        "member": f"serviceAccount:{email}",
        "project": "acme-ml-serving-prod",
        "role": "roles/container.defaultNodeServiceAccount",
    }
    (repo_binding,) = run.of_type(REPO_IAM)
    assert repo_binding.inputs["role"] == "roles/artifactregistry.reader"
    assert repo_binding.inputs["member"] == f"serviceAccount:{email}"
    assert repo_binding.inputs["repository"] == "serving-models"
    roles = {r.inputs["role"] for r in run.resources if r.type in (PROJECT_IAM, REPO_IAM)}
    assert roles == {"roles/container.defaultNodeServiceAccount", "roles/artifactregistry.reader"}


def test_repository_inputs_and_protection(runs: dict[str, PlatformRun]) -> None:
    repo = runs["prod"].by_name("platform-registry-repo")
    assert repo.inputs["format"] == "DOCKER"
    assert repo.inputs["dockerConfig"] == {"immutableTags": True}
    assert repo.inputs["labels"] == {"cost-center": "cc-4120", "env": "prod", "team": "ml-platform"}
    policies = {p["id"]: p for p in repo.inputs["cleanupPolicies"]}
    assert policies["keep-recent"] == {
        "id": "keep-recent",
        "action": "KEEP",
        "mostRecentVersions": {"keepCount": 30},
    }
    assert policies["delete-untagged"]["condition"] == {
        "tagState": "UNTAGGED",
        "olderThan": "1209600s",
    }
    assert repo.options["protect"] is True
    assert repo.options["retainOnDelete"] is True
    assert "protect" not in runs["dev"].by_name("platform-registry-repo").options


def test_build_cache_repository_never_has_immutable_tags(runs: dict[str, PlatformRun]) -> None:
    cache = runs["prod"].by_name("platform-registry-cache")
    assert cache.inputs["repositoryId"] == "serving-models-buildcache"
    assert cache.inputs["dockerConfig"] == {"immutableTags": False}
    assert [p["id"] for p in cache.inputs["cleanupPolicies"]] == [
        "delete-overwritten",
        "delete-old",
        "keep-recent",
    ]
    assert "protect" not in cache.options
    assert runs["prod"].outputs["registryUrl"].endswith("/serving-models")


def test_cluster_retained_only_when_deletion_protected(runs: dict[str, PlatformRun]) -> None:
    assert runs["prod"].one(CLUSTER).options["retainOnDelete"] is True
    assert "retainOnDelete" not in runs["dev"].one(CLUSTER).options
    assert runs["prod"].one(CLUSTER).options["ignoreChanges"] == ["initialNodeCount", "nodeConfig"]


def test_prod_gpu_pool_inputs(runs: dict[str, PlatformRun]) -> None:
    pool = runs["prod"].by_name("platform-gpu-l4-pool")
    assert pool.inputs["name"].startswith("gpu-l4-")
    # gpuBudget 12 covers the swap (6 GPUs twice): explicitly create-before-delete.
    assert pool.options["deleteBeforeReplace"] is False
    config = pool.inputs["nodeConfig"]
    assert config["labels"]["servestack.io/pool"] == "gpu-l4"
    assert config["machineType"] == "g2-standard-8"
    assert config["guestAccelerators"] == [
        {
            "count": 1,
            "gpuDriverInstallationConfig": {"gpuDriverVersion": "LATEST"},
            "type": "nvidia-l4",
        }
    ]
    assert config["taints"] == [
        {"effect": "NO_SCHEDULE", "key": "nvidia.com/gpu", "value": "present"}
    ]
    assert config["labels"]["servestack.io/accelerator"] == "nvidia-l4"
    assert pool.inputs["autoscaling"] == {
        "locationPolicy": "ANY",
        "totalMaxNodeCount": 6,
        "totalMinNodeCount": 2,
    }
    assert pool.inputs["upgradeSettings"]["strategy"] == "BLUE_GREEN"
    assert pool.inputs["upgradeSettings"]["blueGreenSettings"]["nodePoolSoakDuration"] == "1800s"
    assert pool.inputs["cluster"] == "serve-prod"


def test_pools_use_the_dedicated_node_account(runs: dict[str, PlatformRun]) -> None:
    for stack in GKE_STACKS:
        account = runs[stack].one(ACCOUNT).inputs["accountId"]
        for pool in runs[stack].of_type(NODE_POOL):
            assert pool.inputs["nodeConfig"]["serviceAccount"].startswith(f"{account}@")


def test_existing_network_declares_no_network_resources() -> None:
    from tests.platform.conftest import run_platform, stack_values, variant

    cluster = stack_values("staging")["servestack:cluster"]
    cluster["network"] = {
        "existingNetwork": "shared",
        "existingSubnetwork": "shared-gke",
        "proxyOnlyCidr": "10.100.0.0/23",  # the shared VPC's own, only let through
    }
    run = run_platform(variant("staging", cluster=cluster))
    assert not [r for r in run.resources if r.type.startswith("gcp:compute/")]
    inputs = run.one(CLUSTER).inputs
    assert (inputs["network"], inputs["subnetwork"]) == ("shared", "shared-gke")
    assert "clusterIpv4CidrBlock" in inputs["ipAllocationPolicy"]


def test_capture_is_deterministic(runs: dict[str, PlatformRun]) -> None:
    from tests.platform.conftest import run_platform

    again = run_platform(spec_of("prod"))
    first = json.dumps([r.to_json() for r in runs["prod"].resources], sort_keys=True)
    assert json.dumps([r.to_json() for r in again.resources], sort_keys=True) == first
