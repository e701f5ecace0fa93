from __future__ import annotations

from typing import Any

from infra.config import StackSpec
from infra.config.placement import ACCELERATOR_LABEL, NODE_POOL_LABEL
from infra.config.targets import serving_target
from infra.serving.labels import TRACK_LABEL
from infra.serving.objects import canary_bounds, deployment
from infra.serving.podspec import pod_template
from infra.serving.timeouts import (
    progress_deadline_seconds,
    pulumi_duration,
    rollout_timeout_seconds,
)
from tests.serving.conftest import image_ref, placement_of, spec_of
from tests.serving.helpers import with_server

IMAGE = image_ref("x")


def pod(spec: StackSpec, index: int = 0, track: str = "stable") -> dict[str, Any]:
    server = spec.servers[index]
    return pod_template(
        serving_target(spec),
        server,
        image=IMAGE,
        track="canary" if track == "canary" else "stable",
        placement=placement_of(spec, server.node_pool),
        service_account=server.name,
    )


def container(spec: StackSpec, index: int = 0) -> dict[str, Any]:
    containers = pod(spec, index)["spec"]["containers"]
    assert len(containers) == 1
    result: dict[str, Any] = containers[0]
    return result


def test_probes_are_model_aware_and_sized_for_slow_loads() -> None:
    spec = spec_of("prod")
    c = container(spec, 0)
    assert c["readinessProbe"]["httpGet"] == {
        "path": "/v1/models/inception/metadata",
        "port": "http",
        "scheme": "HTTP",
    }
    startup = c["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 900
    assert c["livenessProbe"] == {**c["livenessProbe"], "grpc": {"port": 8500}}
    assert c["livenessProbe"] != c["readinessProbe"]


def test_resources_limits_and_headroom() -> None:
    spec = spec_of("prod")
    gpu = container(spec, 0)["resources"]
    assert gpu["requests"] == {"cpu": "4", "memory": "8Gi", "nvidia.com/gpu": "1"}
    assert gpu["limits"] == {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"}
    cpu = container(spec, 1)["resources"]
    assert cpu["limits"] == {"cpu": "4", "memory": "12Gi"}


def test_gpu_server_gets_selector_toleration_and_limit() -> None:
    spec = spec_of("prod")
    template = pod(spec, 0)
    assert template["spec"]["nodeSelector"] == {NODE_POOL_LABEL: "gpu-l4"}
    assert template["spec"]["tolerations"] == [
        {"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Equal", "value": "present"}
    ]
    assert template["metadata"]["labels"][ACCELERATOR_LABEL] == "nvidia-l4"


def test_cpu_server_gets_no_gpu_selector_toleration_or_limit() -> None:
    for stack, index in (("prod", 1), ("staging", 1), ("dev", 0), ("local", 0)):
        spec = spec_of(stack)
        template = pod(spec, index)
        assert ACCELERATOR_LABEL not in template["spec"].get("nodeSelector", {})
        assert "tolerations" not in template["spec"]
        assert ACCELERATOR_LABEL not in template["metadata"]["labels"]
        resources = template["spec"]["containers"][0]["resources"]
        assert "nvidia.com/gpu" not in resources["limits"]
        assert "nvidia.com/gpu" not in resources["requests"]
    assert pod(spec_of("prod"), 1)["spec"]["nodeSelector"] == {NODE_POOL_LABEL: "cpu"}
    assert "nodeSelector" not in pod(spec_of("local"))["spec"]


def test_security_context_is_restricted() -> None:
    spec = spec_of("dev")
    template = pod(spec)["spec"]
    c = template["containers"][0]
    assert c["securityContext"]["runAsUser"] >= 10000
    assert c["securityContext"]["runAsNonRoot"] is True
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert c["securityContext"]["allowPrivilegeEscalation"] is False
    assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert template["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert {"name": "tmp", "mountPath": "/tmp"} in c["volumeMounts"]
    assert template["volumes"] == [{"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}]
    assert template["automountServiceAccountToken"] is False


def test_workload_identity_mounts_the_token() -> None:
    spec = with_server(
        spec_of("dev"), "tiny", gcp_service_account="reader@p.iam.gserviceaccount.com"
    )
    assert pod(spec)["spec"]["automountServiceAccountToken"] is True


def test_pre_stop_uses_sleep_action_where_the_cluster_has_it() -> None:
    spec = spec_of("prod")
    c = container(spec)
    assert c["lifecycle"] == {"preStop": {"sleep": {"seconds": 15}}}
    old = spec.model_copy(update={"kubernetes_version": "1.29"})
    assert serving_target(old).kubernetes_minor == 29
    assert container(old)["lifecycle"] == {"preStop": {"exec": {"command": ["sleep", "15"]}}}
    template = pod(spec)["spec"]
    assert template["terminationGracePeriodSeconds"] == 45
    assert template["shareProcessNamespace"] is True
    none = with_server(spec, "inception", rollout={"pre_stop_seconds": 0})
    assert "lifecycle" not in container(none)


def test_zone_spread_and_host_anti_affinity() -> None:
    spec = spec_of("prod")
    cpu = pod(spec, 1)["spec"]
    (constraint,) = cpu["topologySpreadConstraints"]
    assert constraint["maxSkew"] == 1
    assert constraint["topologyKey"] == "topology.kubernetes.io/zone"
    assert constraint["whenUnsatisfiable"] == "DoNotSchedule"
    assert constraint["labelSelector"]["matchLabels"][TRACK_LABEL] == "stable"
    # The GPU pool may place nodes in any zone: spreading must not block a scale-up.
    gpu = pod(spec, 0)["spec"]
    assert gpu["topologySpreadConstraints"][0]["whenUnsatisfiable"] == "ScheduleAnyway"
    term = cpu["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert term[0]["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert "topologySpreadConstraints" not in pod(spec_of("local"))["spec"]


def test_stable_deployment_leaves_replicas_to_the_autoscaler() -> None:
    spec = spec_of("prod")
    server = spec.servers[1]
    manifest = deployment(
        serving_target(spec),
        server,
        namespace="serving",
        image=IMAGE,
        track="stable",
        placement=None,
    )
    assert "replicas" not in manifest["spec"]
    assert manifest["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
    }
    assert manifest["spec"]["progressDeadlineSeconds"] == progress_deadline_seconds(server)


def test_canary_autoscaler_is_sized_by_weight() -> None:
    spec = spec_of("staging")
    server = spec.servers[1]
    manifest = deployment(
        serving_target(spec),
        server,
        namespace="serving",
        image=IMAGE,
        track="canary",
        placement=None,
    )
    assert manifest["metadata"]["name"] == "resnet-canary"
    assert "replicas" not in manifest["spec"]  # its own HPA sizes it
    assert canary_bounds(server) == (1, 1)  # max(1, round(2 * 0.2)), ceil(4 * 0.2)
    labels = manifest["spec"]["template"]["metadata"]["labels"]
    assert labels[TRACK_LABEL] == "canary"
    assert labels["app.kubernetes.io/version"] == "resnet-4"
    big = with_server(spec, "resnet", autoscaling={"min": 10, "max": 20})
    assert canary_bounds(big.servers[1]) == (2, 4)


def test_rollout_timeouts_cover_every_wave() -> None:
    spec = spec_of("prod")
    resnet = spec.servers[1]
    # 12 replicas, one at a time, each up to startup + overhead + drain.
    assert rollout_timeout_seconds(resnet) == 12 * (600 + 120 + 45)
    assert pulumi_duration(rollout_timeout_seconds(resnet)) == "153m"
    assert pulumi_duration(61) == "2m"
