"""Every rule: the compliant stack passes, and one broken setting trips exactly that rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from policies.engine import evaluate
from policies.pack import POLICIES
from tests.policies import builders as b
from tests.policies import day0_builders as day0

Stack = list[dict[str, Any]]


def find(stack: Stack, type_suffix: str, name: str | None = None) -> dict[str, Any]:
    for item in stack:
        if item["type"].endswith(type_suffix) and (name is None or item["name"] == name):
            inputs: dict[str, Any] = item["inputs"]
            return inputs
    raise KeyError(type_suffix)


def deployment(stack: Stack, name: str = "resnet") -> dict[str, Any]:
    return find(stack, ":Deployment", name)


def pod(stack: Stack, name: str = "resnet") -> dict[str, Any]:
    spec: dict[str, Any] = deployment(stack, name)["spec"]["template"]["spec"]
    return spec


def main(stack: Stack, name: str = "resnet") -> dict[str, Any]:
    container: dict[str, Any] = pod(stack, name)["containers"][0]
    return container


def hit(stack: Stack, config: dict[str, Any] | None = None) -> set[str]:
    return {v.policy for v in evaluate(stack, config or b.CONFIG)}


def test_compliant_stack_passes_every_rule() -> None:
    assert evaluate(b.compliant_stack(), b.CONFIG) == []


def test_every_rule_has_a_violating_case() -> None:
    covered = {rule for _, rules in CASES for rule in rules}
    assert covered == {p.name for p in POLICIES}


def _set(target: dict[str, Any], key: str, value: Any) -> None:
    target[key] = value


def _option(stack: Stack, name: str, key: str, value: Any) -> None:
    """Set a resource option (as the JSON plan records it) on the resource called `name`."""
    next(item for item in stack if item["name"] == name)["options"][key] = value


CASES: list[tuple[Callable[[Stack], Any], set[str]]] = [
    # images
    (
        lambda s: _set(main(s), "image", "docker.io/tensorflow/serving:latest"),
        {"image-allowed-registry", "image-pinned-by-digest", "image-no-latest-tag"},
    ),
    (
        lambda s: _set(main(s), "image", f"gcr.io/other/resnet@{b.DIGEST}"),
        {"image-allowed-registry"},
    ),
    (lambda s: _set(main(s), "image", f"{b.REGISTRY}/resnet:c0ffee12"), {"image-pinned-by-digest"}),
    (
        lambda s: _set(main(s), "image", f"{b.REGISTRY}/resnet:latest@{b.DIGEST}"),
        {"image-no-latest-tag"},
    ),
    # containers
    (lambda s: main(s)["resources"].pop("limits"), {"container-resources"}),
    (lambda s: main(s)["resources"]["requests"].pop("memory"), {"container-resources"}),
    (lambda s: pod(s, "inception").pop("tolerations"), {"gpu-scheduling"}),
    (
        lambda s: main(s, "inception")["resources"]["limits"].pop("nvidia.com/gpu"),
        {"gpu-scheduling", "gpu-image-match"},
    ),
    (
        lambda s: _set(main(s), "image", f"{b.REGISTRY}/resnet-gpu:c0ffee12@{b.DIGEST}"),
        {"gpu-image-match"},
    ),
    # probes
    (lambda s: main(s).pop("startupProbe"), {"container-probes"}),
    (lambda s: _set(main(s), "livenessProbe", b.probe("/v1/models/m")), {"container-probes"}),
    # pod security
    (lambda s: pod(s)["securityContext"].pop("runAsNonRoot"), {"pod-security-context"}),
    (lambda s: _set(pod(s)["securityContext"], "runAsUser", 0.0), {"pod-security-context"}),
    (
        lambda s: _set(main(s)["securityContext"], "allowPrivilegeEscalation", True),
        {"pod-security-context"},
    ),
    (lambda s: main(s)["securityContext"].pop("readOnlyRootFilesystem"), {"pod-security-context"}),
    (
        lambda s: _set(main(s)["securityContext"], "capabilities", {"drop": ["NET_RAW"]}),
        {"pod-security-context"},
    ),
    (
        lambda s: _set(pod(s)["securityContext"], "seccompProfile", {"type": "Unconfined"}),
        {"pod-security-context"},
    ),
    (lambda s: _set(pod(s), "hostNetwork", True), {"pod-host-isolation"}),
    (lambda s: _set(pod(s), "hostPID", True), {"pod-host-isolation"}),
    (
        lambda s: _set(pod(s), "volumes", [{"name": "h", "hostPath": {"path": "/"}}]),
        {"pod-host-isolation"},
    ),
    # rollout
    (
        lambda s: _set(deployment(s)["spec"]["strategy"]["rollingUpdate"], "maxUnavailable", 1.0),
        {"rolling-update-zero-unavailable"},
    ),
    (
        lambda s: _set(deployment(s)["spec"], "strategy", {"type": "Recreate"}),
        {"rolling-update-zero-unavailable"},
    ),
    (lambda s: pod(s).pop("topologySpreadConstraints"), {"zone-topology-spread"}),
    (
        lambda s: _set(
            find(s, ":HorizontalPodAutoscaler", "resnet-hpa")["spec"], "maxReplicas", 1.0
        ),
        {"hpa-bounds"},
    ),
    (
        lambda s: _set(
            find(s, ":HorizontalPodAutoscaler", "resnet-hpa")["spec"], "minReplicas", 1.0
        ),
        {"min-replicas"},
    ),
    (lambda s: s.remove(next(r for r in s if r["name"] == "resnet-pdb")), {"pdb-for-autoscaled"}),
    (lambda s: _set(deployment(s)["spec"], "replicas", 3.0), {"no-replicas-with-hpa"}),
    # exposure
    (lambda s: s.append(b.service("public", type_="LoadBalancer")), {"no-public-load-balancer"}),
    (
        lambda s: s.append(
            b.service("open", type_="LoadBalancer", loadBalancerSourceRanges=["0.0.0.0/0"])
        ),
        {"no-public-load-balancer"},
    ),
    (lambda s: s.append(b.service("np", type_="NodePort")), {"no-node-port"}),
    # cluster
    (
        lambda s: _set(find(s, ":Cluster")["privateClusterConfig"], "enablePrivateNodes", False),
        {"gke-private-nodes"},
    ),
    (lambda s: find(s, ":Cluster").pop("workloadIdentityConfig"), {"gke-workload-identity"}),
    (lambda s: _set(find(s, ":Cluster"), "enableShieldedNodes", False), {"gke-shielded-nodes"}),
    (
        lambda s: _set(find(s, ":Cluster"), "releaseChannel", {"channel": "UNSPECIFIED"}),
        {"gke-release-channel"},
    ),
    (lambda s: find(s, ":Cluster").pop("datapathProvider"), {"gke-network-policy"}),
    (lambda s: _set(find(s, ":Cluster"), "deletionProtection", False), {"gke-deletion-protection"}),
    (
        lambda s: find(s, ":NodePool", "cpu")["nodeConfig"].pop("serviceAccount"),
        {"node-pool-service-account"},
    ),
    (
        lambda s: _set(
            find(s, ":NodePool", "cpu")["nodeConfig"],
            "serviceAccount",
            "123456789-compute@developer.gserviceaccount.com",
        ),
        {"node-pool-service-account"},
    ),
    (lambda s: find(s, ":NodePool", "gpu-l4")["nodeConfig"].pop("taints"), {"gpu-node-pool-taint"}),
    (lambda s: _set(find(s, ":IAMMember"), "role", "roles/editor"), {"iam-no-basic-roles"}),
    # cost
    (
        lambda s: s.append(b.node_pool("gpu-extra", autoscaling={"maxNodeCount": 1.0})),
        {"gpu-budget"},
    ),
    (
        lambda s: _set(find(s, ":NodePool", "gpu-l4"), "autoscaling", {"maxNodeCount": 6.0}),
        {"gpu-budget"},
    ),
    # 6 GPUs create-before-delete need 12 during the swap, over the budget of 8.
    (lambda s: _option(s, "gpu-l4", "deleteBeforeReplace", False), {"gpu-replacement-overlap"}),
    # canary
    (
        lambda s: _set(deployment(s)["metadata"]["labels"], "servestack.io/track", "canary"),
        {"canary-analysis"},
    ),
    # labels
    (
        lambda s: find(s, ":Service")["metadata"]["labels"].pop("app.kubernetes.io/version"),
        {"kubernetes-labels"},
    ),
    (lambda s: _set(deployment(s)["metadata"]["labels"], "env", "dev"), {"kubernetes-labels"}),
    (lambda s: find(s, ":Repository")["labels"].pop("cost-center"), {"gcp-labels"}),
    (lambda s: find(s, ":NodePool", "cpu")["nodeConfig"].pop("resourceLabels"), {"gcp-labels"}),
    # day 0 (the bootstrap's resources; tests/policies/test_day0_rules.py has the rest)
    (lambda s: s.append(day0.bucket(uniformBucketLevelAccess=False)), {"gcs-bucket-hardened"}),
    (
        lambda s: s.append(day0.provider("assertion.repository == 'acme/servestack'")),
        {"wif-github-pinned"},
    ),
    (lambda s: s.append(day0.key(rotationPeriod="31536000s")), {"kms-key-rotation"}),
    (lambda s: s.append(day0.grant("allUsers")), {"iam-no-public-members"}),
]


@pytest.mark.parametrize(
    ("mutate", "rules"),
    CASES,
    ids=[f"{index}-{'+'.join(sorted(rules))}" for index, (_, rules) in enumerate(CASES)],
)
def test_violation_trips_its_rule(mutate: Callable[[Stack], Any], rules: set[str]) -> None:
    stack = b.compliant_stack()
    mutate(stack)
    verdicts = evaluate(stack, b.CONFIG)
    assert {v.policy for v in verdicts} == rules
    assert {v.level for v in verdicts} == {"mandatory"}
    assert all(v.message for v in verdicts)


def test_advisory_config_lists_the_same_violations_as_advisory() -> None:
    stack = b.compliant_stack()
    main(stack)["image"] = "docker.io/tensorflow/serving:latest"
    verdicts = evaluate(stack, b.advisory(b.CONFIG))
    assert {v.policy for v in verdicts} == {
        "image-allowed-registry",
        "image-pinned-by-digest",
        "image-no-latest-tag",
    }
    assert {v.level for v in verdicts} == {"advisory"}


def test_a_policys_own_level_overrides_all() -> None:
    stack = b.compliant_stack()
    main(stack).pop("startupProbe")
    config = {**b.CONFIG, "container-probes": {"enforcementLevel": "advisory"}}
    assert [(v.policy, v.level) for v in evaluate(stack, config)] == [
        ("container-probes", "advisory")
    ]
    config = {**b.CONFIG, "container-probes": "disabled"}
    assert evaluate(stack, config) == []


def test_verdict_names_the_resource_urn() -> None:
    stack = b.compliant_stack()
    main(stack).pop("livenessProbe")
    (verdict,) = evaluate(stack, b.CONFIG)
    assert verdict.urn == f"{b.STACK}::kubernetes:apps/v1:Deployment::resnet"
    assert verdict.to_json() == {
        "policy": "container-probes",
        "level": "mandatory",
        "urn": verdict.urn,
        "message": "container 'tfserving' has no livenessProbe",
    }


def test_gpu_placement_does_not_make_a_cpu_image_a_gpu_image() -> None:
    stack = b.compliant_stack()
    deployment(stack, "inception")["spec"]["template"]["metadata"]["labels"][
        "servestack.io/accelerator"
    ] = "nvidia-l4"
    main(stack, "inception")["image"] = f"{b.REGISTRY}/inception:c0ffee12@{b.DIGEST}"
    assert hit(stack) == {"gpu-image-match"}


@pytest.mark.parametrize(
    ("base", "rules"),
    [("tensorflow/serving:2.19.1-gpu", set()), ("tensorflow/serving:2.19.1", {"gpu-image-match"})],
)
def test_a_built_image_is_judged_by_its_base_image(base: str, rules: set[str]) -> None:
    stack = b.compliant_stack()
    ref = f"{b.REGISTRY}/inception:ctx-0123456789abcdef0123"
    main(stack, "inception")["image"] = f"{ref}@{b.DIGEST}"
    build = {"tags": [ref], "labels": {"org.opencontainers.image.base.name": base}}
    stack.append(b.resource("docker-build:index:Image", "inception-build", build))
    assert hit(stack) == rules
