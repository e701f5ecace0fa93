"""Serving builders take a ServingTarget built directly: no stack file, no StackSpec."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

from infra.config import AllowFrom, ServerSpec, StackLabels
from infra.config.placement import PoolPlacement
from infra.config.targets import ServingTarget, serving_target
from infra.serving import namespace_objects, objects
from infra.serving.flags import server_flags
from infra.serving.podspec import pod_template
from tests.serving.conftest import spec_of

ROOT = Path(__file__).resolve().parents[2]
TARGET = ServingTarget(
    namespace="models",
    labels=StackLabels(team="ml", env="test", cost_center="cc-1"),
    expose="internal",
    monitoring=True,
    managed_prometheus=True,
    kubernetes_minor=33,
    tf_serving_version="2.19.1",
    source_ranges=("10.0.0.0/8",),
    allow_from=AllowFrom(namespaces=["gateway"]),
)
SERVER = ServerSpec.model_validate(
    {
        "name": "tiny",
        "models": [
            {"name": "m", "source": {"path": "model_images/published/tiny"}, "versions": [1]}
        ],
    }
)


def test_objects_follow_the_target_alone() -> None:
    sa = objects.service_account(TARGET, SERVER, "models")
    assert sa["metadata"]["labels"]["app.kubernetes.io/instance"] == "tiny-test"
    assert sa["metadata"]["labels"]["env"] == "test"
    lb = objects.load_balancer_service(TARGET, SERVER, "models")
    assert lb is not None and lb["metadata"]["name"] == "tiny-internal"
    assert lb["spec"]["loadBalancerSourceRanges"] == ["10.0.0.0/8"]
    peers = objects.network_policy(TARGET, SERVER, "models")["spec"]["ingress"][0]["from"]
    assert {"ipBlock": {"cidr": "10.0.0.0/8"}} in peers
    assert objects.pod_monitoring(TARGET, SERVER, "models") is not None
    assert namespace_objects.namespace(TARGET)["metadata"]["name"] == "models"


def test_scraping_needs_both_exported_metrics_and_managed_prometheus() -> None:
    no_gmp = replace(TARGET, managed_prometheus=False)
    assert objects.pod_monitoring(no_gmp, SERVER, "models") is None
    # The server still exports metrics; only the scrape (and its ingress rule) go.
    assert any(f.startswith("--monitoring_config_file") for f in server_flags(no_gmp, SERVER))
    rules = objects.network_policy(no_gmp, SERVER, "models")["spec"]["ingress"]
    assert all("gmp-system" not in str(rule) for rule in rules)
    quiet = replace(TARGET, monitoring=False)
    assert not any(f.startswith("--monitoring_config_file") for f in server_flags(quiet, SERVER))


def test_placement_decides_zone_spread_and_gpu_memory_share() -> None:
    shared = PoolPlacement(
        pool="t4",
        gpu_type="nvidia-tesla-t4",
        location_policy="ANY",
        shared_clients_per_gpu=4,
    )
    pod = pod_template(
        TARGET, SERVER, image="img", track="stable", placement=shared, service_account="tiny"
    )
    (constraint,) = pod["spec"]["topologySpreadConstraints"]
    assert constraint["whenUnsatisfiable"] == "ScheduleAnyway"
    assert "--per_process_gpu_memory_fraction=0.23" in server_flags(TARGET, SERVER, shared)
    assert pod["metadata"]["labels"]["servestack.io/accelerator"] == "nvidia-tesla-t4"
    old = replace(TARGET, kubernetes_minor=26)
    (constraint,) = pod_template(
        old, SERVER, image="img", track="stable", placement=None, service_account="tiny"
    )["spec"]["topologySpreadConstraints"]
    assert constraint["whenUnsatisfiable"] == "DoNotSchedule"
    assert "matchLabelKeys" not in constraint


def test_the_serving_target_of_a_stack() -> None:
    prod = serving_target(spec_of("prod"))
    assert (prod.namespace, prod.kubernetes_minor, prod.managed_prometheus) == (
        "serving",
        33,
        True,
    )
    local = serving_target(spec_of("local"))
    assert local.managed_prometheus is False and not local.scraped


def test_serving_imports_nothing_from_the_platform() -> None:
    for path in sorted((ROOT / "infra" / "serving").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            for name in names:
                assert not name.startswith(("infra.platform", "infra.kube")), (path.name, name)
