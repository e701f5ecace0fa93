"""The Platform under mocks: the Kubernetes provider connects where the stack says.

GKE reports the DNS name under controlPlaneEndpointsConfig.dnsEndpointConfig.endpoint (an
output of the cluster, pulumi_gcp 10.2 `ClusterControlPlaneEndpointsConfigDnsEndpointConfig`);
the mocks here answer it like GKE would, so the wiring from the cluster's output to the
provider's kubeconfig is what runs.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

import infra.kube
from infra.preview.mocks import RealisticMocks
from tests.platform import conftest
from tests.platform.conftest import cluster_with, run_platform, spec_of, variant

DNS_NAME = "gke-4f1a2b3c4d5e6f70-123456789012.europe-west4.gke.goog"


class GkeReportsItsDnsEndpoint(RealisticMocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, state = super().new_resource(args)
        if args.typ == "gcp:container/cluster:Cluster":
            endpoints = dict(state.get("controlPlaneEndpointsConfig") or {})
            dns = dict(endpoints.get("dnsEndpointConfig") or {})
            state["controlPlaneEndpointsConfig"] = {
                **endpoints,
                "dnsEndpointConfig": {**dns, "endpoint": DNS_NAME},
            }
        return resource_id, state


def _kubeconfig(monkeypatch: pytest.MonkeyPatch, spec: Any) -> dict[str, Any]:
    written: list[str] = []
    real = infra.kube.gke_kubeconfig

    def recording(*args: Any) -> str:
        text = real(*args)
        written.append(text)
        return text

    monkeypatch.setattr(conftest, "RealisticMocks", GkeReportsItsDnsEndpoint)
    monkeypatch.setattr(infra.kube, "gke_kubeconfig", recording)
    run_platform(spec)
    (text,) = written
    config: dict[str, Any] = json.loads(text)
    return config


def test_the_provider_connects_through_the_dns_endpoint_when_the_stack_serves_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = _kubeconfig(monkeypatch, spec_of("prod"))
    (cluster,) = config["clusters"]
    assert cluster["cluster"] == {"server": f"https://{DNS_NAME}"}
    assert config["current-context"] == "gke_acme-ml-serving-prod_europe-west4_serve-prod"


def test_the_provider_keeps_the_ip_endpoint_and_its_ca_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cluster = cluster_with("prod", dnsEndpoint={"allowExternalTraffic": False})
    config = _kubeconfig(monkeypatch, variant("prod", cluster=cluster))
    (entry,) = config["clusters"]
    assert entry["cluster"]["server"].startswith("https://34.")
    assert entry["cluster"]["certificate-authority-data"]
