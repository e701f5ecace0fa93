"""Kubeconfig and provider inputs: GKE via the auth plugin, local via a named context."""

from __future__ import annotations

import json

from infra.config import LocalSpec
from infra.kube import (
    AUTH_PLUGIN,
    context_name,
    gke_kubeconfig,
    gke_kubeconfig_dict,
    local_provider_args,
)


def test_gke_kubeconfig_uses_the_auth_plugin_and_no_credentials() -> None:
    context = context_name("acme", "europe-west4", "serve-prod")
    assert context == "gke_acme_europe-west4_serve-prod"
    config = gke_kubeconfig_dict(context, "34.90.1.2", "Q0EtREFUQQ==")
    (cluster,) = config["clusters"]
    assert cluster["cluster"] == {
        "server": "https://34.90.1.2",
        "certificate-authority-data": "Q0EtREFUQQ==",
    }
    (user,) = config["users"]
    assert user["user"]["exec"]["command"] == AUTH_PLUGIN
    assert user["user"]["exec"]["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    # No static token, password or client certificate: only the exec plugin.
    assert set(user["user"]) == {"exec"}
    assert config["current-context"] == context


def test_gke_kubeconfig_text_is_deterministic_json() -> None:
    text = gke_kubeconfig("ctx", "10.0.0.2", "Q0E=")
    assert text == gke_kubeconfig("ctx", "10.0.0.2", "Q0E=")
    assert json.loads(text)["kind"] == "Config"
    assert text.index('"apiVersion"') < text.index('"clusters"')


def test_local_provider_uses_the_named_context_and_optional_path() -> None:
    assert local_provider_args(LocalSpec(kubeconfig_context="kind-servestack")) == {
        "context": "kind-servestack"
    }
    with_path = LocalSpec(kubeconfig_context="minikube", kubeconfig_path="/tmp/kubeconfig")
    assert local_provider_args(with_path) == {
        "context": "minikube",
        "kubeconfig": "/tmp/kubeconfig",
    }


def test_dns_endpoint_kubeconfig_names_the_dns_server_and_trusts_the_system_roots() -> None:
    context = context_name("acme", "europe-west4", "serve-prod")
    dns = "gke-0123456789abcdef-123456789012.europe-west4.gke.goog"
    config = gke_kubeconfig_dict(context, "34.90.1.2", "Q0EtREFUQQ==", dns)
    (cluster,) = config["clusters"]
    # No cluster CA: the DNS endpoint's certificate is not issued by it.
    assert cluster["cluster"] == {"server": f"https://{dns}"}
    (user,) = config["users"]
    assert set(user["user"]) == {"exec"}
    assert user["user"]["exec"]["command"] == AUTH_PLUGIN


def test_ip_endpoint_kubeconfig_is_unchanged_without_a_dns_endpoint() -> None:
    assert gke_kubeconfig("ctx", "10.0.0.2", "Q0E=") == gke_kubeconfig(
        "ctx", "10.0.0.2", "Q0E=", None
    )


def test_the_gke_provider_is_replaced_only_when_its_cluster_changes() -> None:
    """clusterIdentifier pins replacement to the cluster, not to the kubeconfig's text, so a
    switch to the DNS endpoint or a CA rotation updates the provider in place."""
    from pathlib import Path

    from infra.preview.engine import run_offline

    root = Path(__file__).resolve().parents[2]
    plan = run_offline(root, "prod", with_policies=False)
    (provider,) = [r for r in plan.resources if r.type == "pulumi:providers:kubernetes"]
    assert provider.inputs["clusterIdentifier"] == "acme-ml-serving-prod/europe-west4/serve-prod"
