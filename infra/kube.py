"""The Kubernetes provider: a GKE cluster via gke-gcloud-auth-plugin, or a local context.

The GKE kubeconfig carries no credentials: the exec plugin fetches short-lived tokens, so
the same kubeconfig works for CI (Workload Identity Federation) and people (gcloud login).
A cluster serving its DNS-based endpoint is reached by that name, as
`gcloud container clusters get-credentials --dns-endpoint` does: any network that reaches
Google APIs gets there, and IAM (`container.clusters.connect`) decides who passes
(https://cloud.google.com/kubernetes-engine/docs/concepts/network-isolation#dns-based_endpoint).
"""

from __future__ import annotations

import json
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from infra.config import LocalSpec

AUTH_PLUGIN = "gke-gcloud-auth-plugin"
EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"
INSTALL_HINT = (
    "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin "
    "(or apt-get install google-cloud-cli-gke-gcloud-auth-plugin)"
)


def context_name(project: str, location: str, cluster: str) -> str:
    """The context name `gcloud container clusters get-credentials` would write."""
    return f"gke_{project}_{location}_{cluster}"


def api_server(endpoint: str, ca_certificate: str, dns_endpoint: str | None) -> dict[str, str]:
    """The kubeconfig `cluster` entry: the DNS name when the stack uses it, else the IP.

    The IP endpoint presents a certificate of the cluster's own CA, so its CA goes along; the
    DNS endpoint (`<uid>.<region>.gke.goog`, always present, user traffic only when allowed:
    the API's ControlPlaneEndpointsConfig.DNSEndpointConfig.endpoint) is served by Google's
    front end, whose certificate the system roots verify, so no CA is pinned for it.
    """
    if dns_endpoint is not None:
        return {"server": f"https://{dns_endpoint}"}
    return {"server": f"https://{endpoint}", "certificate-authority-data": ca_certificate}


def gke_kubeconfig_dict(
    context: str, endpoint: str, ca_certificate: str, dns_endpoint: str | None = None
) -> dict[str, Any]:
    """A kubeconfig for one cluster whose user authenticates through the GKE auth plugin."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": context, "cluster": api_server(endpoint, ca_certificate, dns_endpoint)}
        ],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
        "current-context": context,
        "preferences": {},
        "users": [
            {
                "name": context,
                "user": {
                    "exec": {
                        "apiVersion": EXEC_API_VERSION,
                        "command": AUTH_PLUGIN,
                        "installHint": INSTALL_HINT,
                        "provideClusterInfo": True,
                        "interactiveMode": "IfAvailable",
                    }
                },
            }
        ],
    }


def gke_kubeconfig(
    context: str, endpoint: str, ca_certificate: str, dns_endpoint: str | None = None
) -> str:
    """Kubeconfig text (JSON is valid YAML), deterministic: sorted keys, fixed indent."""
    return json.dumps(
        gke_kubeconfig_dict(context, endpoint, ca_certificate, dns_endpoint),
        indent=2,
        sort_keys=True,
    )


class LocalProviderInputs(TypedDict):
    """The inputs of the Kubernetes provider of a local stack."""

    context: str
    kubeconfig: NotRequired[str]


def local_provider_args(local: LocalSpec) -> LocalProviderInputs:
    """Provider inputs for a named context of the user's kubeconfig (path optional)."""
    args: LocalProviderInputs = {"context": local.kubeconfig_context}
    if local.kubeconfig_path is not None:
        args["kubeconfig"] = local.kubeconfig_path
    return args


def gke_provider(
    name: str,
    *,
    project: str,
    cluster_name: pulumi.Input[str],
    location: pulumi.Input[str],
    endpoint: pulumi.Input[str],
    ca_certificate: pulumi.Input[str],
    dns_endpoint: pulumi.Input[str] | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> tuple[k8s.Provider, pulumi.Output[str]]:
    """The provider for a GKE cluster and its kubeconfig (a secret output).

    With `dns_endpoint` the provider connects through the DNS-based endpoint.
    """
    text: pulumi.Output[str] = pulumi.Output.all(
        cluster_name, location, endpoint, ca_certificate, dns_endpoint
    ).apply(
        lambda parts: gke_kubeconfig(
            context_name(project, str(parts[1]), str(parts[0])),
            str(parts[2]),
            str(parts[3]),
            None if dns_endpoint is None else str(parts[4]),
        )
    )
    kubeconfig: pulumi.Output[str] = pulumi.Output.secret(text)
    # Without an identifier pulumi-kubernetes replaces the provider, and every object it
    # manages, whenever the kubeconfig's active cluster entry changes (a switch to the DNS
    # endpoint, a CA rotation); with one, only a change of the identifier does
    # (pulumi/pulumi-kubernetes provider/pkg/provider/provider.go, DiffConfig).
    identifier = pulumi.Output.concat(project, "/", location, "/", cluster_name)
    provider = k8s.Provider(
        name, k8s.ProviderArgs(kubeconfig=kubeconfig, cluster_identifier=identifier), opts
    )
    return provider, kubeconfig


def local_provider(
    name: str, local: LocalSpec, opts: pulumi.ResourceOptions | None = None
) -> k8s.Provider:
    """The provider for an existing cluster named by a kubeconfig context; no GCP at all."""
    return k8s.Provider(name, k8s.ProviderArgs(**local_provider_args(local)), opts)
