"""The REST Gateway path: which stacks get it, its weights, health checks and network rules."""

from __future__ import annotations

import itertools

import pytest

from infra.config import ConfigError
from infra.config.loader import parse_stack
from infra.config.targets import serving_target
from infra.serving import gateway
from infra.serving.objects import canary_bounds, pod_monitoring
from infra.serving.probes import readiness_path
from tests.serving.conftest import spec_of
from tests.serving.helpers import with_server, with_serving

NS = "serving"


def test_only_gke_stacks_exposed_beyond_the_cluster_get_a_gateway() -> None:
    assert serving_target(spec_of("staging")).gateway_class == "gke-l7-rilb"
    external = with_serving(spec_of("prod"), expose="external", source_ranges=["10.0.0.0/8"])
    assert serving_target(external).gateway_class == "gke-l7-regional-external-managed"
    assert serving_target(spec_of("dev")).gateway_class is None  # expose: cluster
    assert serving_target(spec_of("local")).gateway_class is None
    local = spec_of("local")
    assert gateway.objects(serving_target(local), local.servers[0], NS) == []
    assert gateway.network_policy_rules(serving_target(local)) == []


def test_health_checks_ask_the_readiness_path_on_rest() -> None:
    spec = spec_of("staging")
    server = spec.servers[1]
    for track in ("stable", "canary"):
        policy = gateway.health_check_policy(serving_target(spec), server, NS, track)
        check = policy["spec"]["default"]["config"]
        assert check == {
            "type": "HTTP",
            "httpHealthCheck": {"requestPath": readiness_path(server)},
        }
        assert policy["spec"]["targetRef"]["name"] == f"resnet-{track}"
    assert readiness_path(server) == "/v1/models/resnet/metadata"


def test_track_services_select_one_track_on_rest_only() -> None:
    spec = spec_of("staging")
    service = gateway.track_service(serving_target(spec), spec.servers[1], NS, "canary")
    assert service["spec"]["selector"]["servestack.io/track"] == "canary"
    assert [p["port"] for p in service["spec"]["ports"]] == [8501]


def test_a_server_without_canary_routes_everything_to_stable() -> None:
    spec = spec_of("prod")
    route = gateway.http_route(serving_target(spec), spec.servers[0], NS)
    assert route["spec"]["rules"][-1]["backendRefs"] == [
        {"group": "", "kind": "Service", "name": "inception-stable", "port": 8501, "weight": 100}
    ]


def test_pod_monitoring_copies_the_track_label_onto_series() -> None:
    spec = spec_of("staging")
    monitor = pod_monitoring(serving_target(spec), spec.servers[1], NS)
    assert monitor is not None
    assert monitor["spec"]["targetLabels"]["fromPod"] == [
        {"from": "servestack.io/track", "to": "track"}
    ]


def test_weights_add_up_and_the_canary_autoscaler_is_sane() -> None:
    base = spec_of("staging")
    for weight, low, extra in itertools.product(range(1, 51), (1, 2, 3, 7, 20), (0, 1, 5, 30)):
        spec = with_server(
            base,
            "resnet",
            autoscaling={"min": low, "max": low + extra},
            canary={"version": 4, "weight": weight},
        )
        server = spec.servers[1]
        assert gateway.weights(server) == {"stable": 100 - weight, "canary": weight}
        least, most = canary_bounds(server)
        assert 1 <= least <= most <= low + extra, (weight, low, extra)


def test_a_gateway_stack_needs_the_proxy_only_range() -> None:
    config = spec_of("prod").model_dump(by_alias=True, exclude_none=True)
    document = {f"servestack:{key}": value for key, value in config.items()}
    document["gcp:project"], document["gcp:region"] = "acme-ml-serving-prod", "europe-west4"
    del document["servestack:cluster"]["network"]["proxyOnlyCidr"]
    with pytest.raises(ConfigError, match=r"cluster\.network\.proxyOnlyCidr: required"):
        parse_stack("prod", document)
    document["servestack:cluster"]["network"]["proxyOnlyCidr"] = "10.30.8.0/23"
    with pytest.raises(ConfigError, match="overlaps subnetCidr"):
        parse_stack("prod", document)


def test_the_health_check_meets_the_crds_port_rule() -> None:
    """The CRD's CEL rule, which the offline schema check does not evaluate: with the
    default portSpecification (USE_SERVING_PORT) neither port nor portName may be set
    (gke-gateway-api apis/networking/v1/healthcheck_types.go:159)."""
    from pathlib import Path

    from infra.preview.engine import run_offline

    root = Path(__file__).resolve().parents[2]
    for stack in ("staging", "prod"):
        plan = run_offline(root, stack, with_policies=False)
        policies = [r.inputs for r in plan.resources if r.type.endswith("HealthCheckPolicy")]
        assert policies, stack
        for policy in policies:
            check = policy["spec"]["default"]["config"]["httpHealthCheck"]
            if check.get("portSpecification", "USE_SERVING_PORT") == "USE_SERVING_PORT":
                assert "port" not in check and "portName" not in check, check
