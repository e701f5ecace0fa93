"""The metrics adapter a custom-metric stack declares, judged by the real checkers.

Objects follow GoogleCloudPlatform/k8s-stackdriver custom-metrics-stackdriver-adapter/deploy/
production/adapter_new_resource_model.yaml; see infra/serving/metrics_adapter.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from infra.preview.engine import Plan, run_offline
from infra.preview.manifests import kubernetes_objects
from infra.serving import metrics_adapter
from policies.base import Resource
from policies.images import check_digest
from tests.serving.metric_stack import METRIC_NAME, ROOT, with_metric
from tests.serving.test_checkers import needs_checkov, run_checkov

PINNED = f"{metrics_adapter.IMAGE}@sha256:{'ab' * 32}"  # a test value, never written to a lock


@pytest.fixture(scope="module")
def dev_plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return run_offline(ROOT, "dev", stack_file=with_metric("dev", tmp_path_factory.mktemp("m")))


def adapter_objects(plan: Plan) -> list[dict[str, Any]]:
    return [
        o
        for o in kubernetes_objects(plan.resources)
        if o["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "metrics-adapter"
    ]


def test_the_stack_declares_the_adapter_objects(dev_plan: Plan) -> None:
    found = {(o["kind"], o["metadata"]["name"]) for o in adapter_objects(dev_plan)}
    adapter = "custom-metrics-stackdriver-adapter"
    assert found == {
        ("Namespace", "custom-metrics"),
        ("ServiceAccount", adapter),
        ("ClusterRoleBinding", "custom-metrics:system:auth-delegator"),
        ("RoleBinding", "custom-metrics-auth-reader"),
        ("ClusterRole", "custom-metrics-resource-reader"),
        ("ClusterRoleBinding", "custom-metrics-resource-reader"),
        ("ClusterRole", "external-metrics-reader"),
        ("ClusterRoleBinding", "external-metrics-reader"),
        ("Deployment", adapter),
        ("Service", adapter),
        ("NetworkPolicy", adapter),
        ("APIService", "v1beta1.custom.metrics.k8s.io"),
        ("APIService", "v1beta2.custom.metrics.k8s.io"),
        ("APIService", "v1beta1.external.metrics.k8s.io"),
    }
    by_name = {(o["kind"], o["metadata"]["name"]): o for o in adapter_objects(dev_plan)}
    reader = by_name[("RoleBinding", "custom-metrics-auth-reader")]
    assert reader["metadata"]["namespace"] == "kube-system"
    assert reader["roleRef"]["name"] == "extension-apiserver-authentication-reader"
    delegator = by_name[("ClusterRoleBinding", "custom-metrics:system:auth-delegator")]
    assert delegator["roleRef"]["name"] == "system:auth-delegator"
    assert delegator["subjects"] == [
        {"kind": "ServiceAccount", "name": adapter, "namespace": "custom-metrics"}
    ]
    for group, version, _ in metrics_adapter.API_SERVICES:
        api = by_name[("APIService", f"{version}.{group}")]
        assert api["spec"]["service"] == {
            "name": adapter,
            "namespace": "custom-metrics",
            "port": 443,
        }


def test_workload_identity_and_monitoring_viewer(dev_plan: Plan) -> None:
    project = "acme-ml-serving-dev"
    (account,) = [r for r in dev_plan.resources if r.name == "metrics-adapter-sa"]
    email = f"{account.inputs['accountId']}@{project}.iam.gserviceaccount.com"
    sa = next(o for o in adapter_objects(dev_plan) if o["kind"] == "ServiceAccount")
    assert sa["metadata"]["annotations"]["iam.gke.io/gcp-service-account"] == email
    (viewer,) = [r for r in dev_plan.resources if r.name == "metrics-adapter-monitoring-viewer"]
    assert viewer.inputs["role"] == "roles/monitoring.viewer"
    assert viewer.inputs["project"] == project
    (wi,) = [r for r in dev_plan.resources if r.name == "metrics-adapter-workload-identity"]
    assert wi.inputs["role"] == "roles/iam.workloadIdentityUser"
    assert wi.inputs["member"] == (
        f"serviceAccount:{project}.svc.id.goog[custom-metrics/custom-metrics-stackdriver-adapter]"
    )


def test_the_hpa_reads_the_metric_the_adapter_serves(dev_plan: Plan) -> None:
    hpas = [
        o for o in kubernetes_objects(dev_plan.resources) if o["kind"] == "HorizontalPodAutoscaler"
    ]
    metrics = [m for h in hpas for m in h["spec"]["metrics"] if m["type"] == "Pods"]
    assert metrics and {m["pods"]["metric"]["name"] for m in metrics} == {METRIC_NAME}
    assert (
        metrics_adapter.hpa_metric_name(":tensorflow:serving:request_count", "counter")
        == METRIC_NAME
    )


def test_adapter_objects_validate_strictly(dev_plan: Plan) -> None:
    objects = adapter_objects(dev_plan)
    for obj in objects:
        try:
            kubernetes_validate.validate(obj, "1.33.0", strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{obj['kind']} {obj['metadata']['name']}: {error.message}")
    broken = yaml.safe_load(yaml.safe_dump(next(o for o in objects if o["kind"] == "APIService")))
    broken["spec"]["servicee"] = broken["spec"].pop("service")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.33.0", strict=True)


def _with_image(obj: dict[str, Any], image: str) -> dict[str, Any]:
    copy: dict[str, Any] = yaml.safe_load(yaml.safe_dump(obj))
    if copy["kind"] == "Deployment":
        copy["spec"]["template"]["spec"]["containers"][0]["image"] = image
    return copy


@needs_checkov
def test_checkov_passes_the_pinned_adapter_and_flags_the_unpinned(
    dev_plan: Plan, tmp_path: Path
) -> None:
    pinned, unpinned = tmp_path / "pinned", tmp_path / "unpinned"
    for directory, image in ((pinned, PINNED), (unpinned, metrics_adapter.IMAGE)):
        directory.mkdir()
        objects = [_with_image(o, image) for o in adapter_objects(dev_plan)]
        with (directory / "adapter.yaml").open("w") as handle:
            yaml.safe_dump_all(objects, handle, sort_keys=True)
    report = run_checkov(pinned)
    assert [c["check_id"] for c in report["results"]["failed_checks"]] == []
    assert report["summary"]["passed"] > 100 and report["summary"]["parsing_errors"] == 0
    # The three justified in the objects' checkov.io/skip annotations (metrics_adapter.py).
    assert report["summary"]["skipped"] == 3
    failed = {c["check_id"] for c in run_checkov(unpinned)["results"]["failed_checks"]}
    assert failed == {"CKV_K8S_43"}  # image not by digest: what the lock entry fixes


def test_a_mandatory_stack_cannot_deploy_the_unpinned_adapter(tmp_path: Path) -> None:
    plan = run_offline(ROOT, "prod", stack_file=with_metric("prod", tmp_path))
    lines = [f"{v.policy}: {v.message}" for v in plan.mandatory_violations]
    assert lines == [
        "image-pinned-by-digest: container 'pod-custom-metrics-stackdriver-adapter' image "
        f"{metrics_adapter.IMAGE} is not pinned by digest (@sha256:...); pin it in "
        "model_images/base-images.lock (make lock-base-images)"
    ]
    deployment = next(r for r in plan.resources if r.name.startswith("metrics-adapter-deployment"))
    pinned = _with_image(deployment.inputs, PINNED)
    resource = Resource(
        type=deployment.type, name=deployment.name, urn=deployment.urn, props=pinned
    )
    assert list(check_digest(resource, {})) == []


def test_the_image_comes_from_the_lock() -> None:
    assert metrics_adapter.locked_image({}) == metrics_adapter.IMAGE
    assert metrics_adapter.locked_image({metrics_adapter.IMAGE: PINNED.split("@")[1]}) == PINNED
    from infra.images.baseimage import read_lock

    assert metrics_adapter.IMAGE in read_lock(ROOT)


def test_stacks_without_a_metric_declare_no_adapter() -> None:
    plan = run_offline(ROOT, "dev", with_policies=False)
    assert not [r for r in plan.resources if r.name.startswith("metrics-adapter")]


def test_the_account_id_fits_gcp_limits() -> None:
    assert metrics_adapter.account_id("servestack-dev") == "servestack-dev-metrics"
    long = metrics_adapter.account_id("a-very-long-cluster-name-for-prod")
    assert len(long) <= 30 and long.endswith("-metrics") and "--" not in long
