"""ModelService and ServingNamespace under mocks: what a plan would send to the cluster."""

from __future__ import annotations

from collections import Counter

from infra.config import StackSpec
from tests.serving.conftest import Registered, kubernetes_objects, objects_of, render, spec_of
from tests.serving.helpers import bump_versions, diff, with_server, with_serving

REQUIRED_LABELS = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
    "team",
    "env",
    "cost-center",
)


def by_key(registered: list[Registered]) -> dict[tuple[str, str], dict[str, object]]:
    return {(r.type, r.name): r.manifest for r in registered}


def test_objects_per_stack(stack_spec: StackSpec) -> None:
    kinds = Counter(o["kind"] for o in kubernetes_objects(render(stack_spec)))
    servers = len(stack_spec.servers)
    canaries = sum(1 for s in stack_spec.servers if s.canary is not None)
    assert kinds["Namespace"] == 1
    assert kinds["Deployment"] == servers + canaries
    assert kinds["ServiceAccount"] == servers
    assert kinds["HorizontalPodAutoscaler"] == servers + canaries
    assert kinds["NetworkPolicy"] == servers + 1
    lbs = servers if stack_spec.serving.expose != "cluster" else 0
    # On GKE beyond the cluster: a Gateway and route per server, a REST Service per track.
    gateways = servers if lbs and not stack_spec.is_local else 0
    track_services = servers + canaries if gateways else 0
    assert kinds["Service"] == servers + lbs + track_services
    assert kinds["HealthCheckPolicy"] == track_services
    assert kinds["Gateway"] == kinds["HTTPRoute"] == gateways
    assert kinds["PodDisruptionBudget"] == sum(
        1 for s in stack_spec.servers if s.autoscaling.min >= 2
    )
    assert kinds["PodMonitoring"] == (0 if stack_spec.is_local else servers)


def test_every_object_is_labelled_and_namespaced(stack_spec: StackSpec) -> None:
    for obj in kubernetes_objects(render(stack_spec)):
        meta = obj["metadata"]
        missing = [key for key in REQUIRED_LABELS if key not in meta["labels"]]
        assert not missing, f"{obj['kind']} {meta['name']} lacks {missing}"
        assert meta["labels"]["app.kubernetes.io/part-of"] == "servestack"
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "pulumi"
        assert meta["labels"]["env"] == stack_spec.labels.env
        if obj["kind"] != "Namespace":
            assert meta["namespace"] == stack_spec.serving.namespace


def test_rendering_is_deterministic() -> None:
    spec = spec_of("prod")
    assert by_key(render(spec)) == by_key(render(spec))


def test_version_bump_changes_only_image_and_version_labels() -> None:
    spec = spec_of("prod")
    before = by_key(render(spec))
    # A new model version is a new build: a new digest for the same server.
    after_spec = bump_versions(spec, "inception")
    after = by_key(render(after_spec))
    assert before.keys() == after.keys()
    changed = {key: diff(before[key], after[key]) for key in before if before[key] != after[key]}
    assert set(changed) == {("kubernetes:apps/v1:Deployment", "inception")}
    assert changed[("kubernetes:apps/v1:Deployment", "inception")] == [
        "metadata.labels.app.kubernetes.io/version",
        "spec.template.metadata.annotations.servestack.io/model-versions",
        "spec.template.metadata.labels.app.kubernetes.io/version",
    ]


def test_new_image_ref_changes_only_the_container_image() -> None:
    from infra.config.targets import serving_target
    from infra.serving import objects
    from tests.serving.conftest import CANARY_DIGEST, image_ref

    spec = spec_of("prod")
    server = spec.servers[0]
    old = objects.deployment(
        serving_target(spec),
        server,
        namespace="serving",
        image=image_ref("inception"),
        track="stable",
        placement=None,
    )
    new = objects.deployment(
        serving_target(spec),
        server,
        namespace="serving",
        image=image_ref("inception", CANARY_DIGEST),
        track="stable",
        placement=None,
    )
    assert diff(old, new) == ["spec.template.spec.containers[0].image"]


def test_service_selector_never_names_track_or_version() -> None:
    spec = spec_of("staging")
    registered = render(spec)
    for svc in objects_of(registered, "Service"):
        selector = svc["spec"]["selector"]
        track = svc["metadata"]["name"].rsplit("-", 1)[-1]
        # A Gateway backend selects one track (that is how the route weighs them); it
        # never names a version, so a version bump leaves every selector alone.
        expected = {
            "app.kubernetes.io/component",
            "app.kubernetes.io/instance",
            "app.kubernetes.io/name",
        }
        if track in ("stable", "canary"):
            expected.add("servestack.io/track")
            assert selector["servestack.io/track"] == track
        assert set(selector) == expected
    # Both tracks' pods match their Service.
    services = {s["metadata"]["name"]: s for s in objects_of(registered, "Service")}
    for dep in objects_of(registered, "Deployment"):
        pod_labels = dep["spec"]["template"]["metadata"]["labels"]
        server = pod_labels["app.kubernetes.io/name"]
        selector = services[server]["spec"]["selector"]
        assert all(pod_labels[k] == v for k, v in selector.items())


def test_canary_adds_exactly_one_deployment_and_removing_it_rolls_back() -> None:
    spec = spec_of("prod")
    base = by_key(render(spec))
    canary_spec = with_server(spec, "resnet", canary={"version": 4, "weight": 20})
    with_canary = by_key(render(canary_spec))
    added = set(with_canary) - set(base)
    assert added == {
        ("kubernetes:apps/v1:Deployment", "resnet-canary"),
        ("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "resnet-canary-hpa"),
        ("kubernetes:core/v1:Service", "resnet-canary-svc"),
        ("kubernetes:networking.gke.io/v1:HealthCheckPolicy", "resnet-hc-canary"),
    }
    assert set(base) - set(with_canary) == set()
    route = ("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "resnet-route")
    changed = {key for key in base if with_canary[key] != base[key]}
    assert changed == {route}  # the split moves; nothing else does
    canary = with_canary[("kubernetes:apps/v1:Deployment", "resnet-canary")]
    spec_body = canary["spec"]
    assert isinstance(spec_body, dict)
    assert "replicas" not in spec_body  # its own HPA sizes it
    hpa = with_canary[("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "resnet-canary-hpa")]
    hpa_spec = hpa["spec"]
    assert isinstance(hpa_spec, dict)
    # 20 % of stable's 3..12: round(0.6) -> 1 (at least one), ceil(2.4) -> 3.
    assert (hpa_spec["minReplicas"], hpa_spec["maxReplicas"]) == (1, 3)
    # Rolling back is removing the block again: the plan returns to the original.
    assert by_key(render(spec)) == base


def test_a_weight_step_changes_only_the_route_and_the_canary_autoscaler() -> None:
    spec = spec_of("staging")
    analysis = spec.servers[1].canary.analysis.model_dump(by_alias=True)  # type: ignore[union-attr]
    base = by_key(render(spec))
    stepped = by_key(
        render(
            with_server(spec, "resnet", canary={"version": 4, "weight": 30, "analysis": analysis})
        )
    )
    assert set(stepped) == set(base)
    changed = {key for key in base if stepped[key] != base[key]}
    assert changed == {
        ("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "resnet-route"),
        ("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "resnet-canary-hpa"),
    }
    route = stepped[("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "resnet-route")]
    split = route["spec"]["rules"][-1]["backendRefs"]  # type: ignore[index]
    assert [(b["name"], b["weight"]) for b in split] == [
        ("resnet-stable", 70),
        ("resnet-canary", 30),
    ]
    # Header rules pick a track whatever the weight.
    headers = [r["matches"][0]["headers"][0]["value"] for r in route["spec"]["rules"][:-1]]  # type: ignore[index]
    assert headers == ["stable", "canary"]


def test_canary_uses_its_own_image() -> None:
    from tests.serving.conftest import CANARY_DIGEST

    registered = render(spec_of("staging"))
    deployments = {d["metadata"]["name"]: d for d in objects_of(registered, "Deployment")}
    image = deployments["resnet-canary"]["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.endswith(CANARY_DIGEST)
    stable = deployments["resnet"]["spec"]["template"]["spec"]["containers"][0]["image"]
    assert not stable.endswith(CANARY_DIGEST)


def test_nodeport_adds_one_node_port_service_per_server() -> None:
    spec = with_serving(spec_of("local"), expose="nodeport", node_ports={"grpc": 30500})
    registered = render(spec)
    keys = by_key(registered)
    for server in spec.servers:
        assert ("kubernetes:core/v1:Service", f"{server.name}-nodeport") in keys
        assert ("kubernetes:core/v1:Service", f"{server.name}-lb") not in keys
    services = objects_of(registered, "Service")
    assert sorted(s["spec"]["type"] for s in services) == sorted(
        ["ClusterIP", "NodePort"] * len(spec.servers)
    )
