"""Label rules: app.kubernetes.io and stack labels on every Kubernetes object, stack labels
on every GCP resource that takes labels (the provider's default labels count)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policies.base import Config, Resource, resource_policy
from policies.values import UNKNOWN, as_dict, as_list, get, is_unknown
from policies.workloads import is_kubernetes

STACK_LABELS = ["team", "env", "cost-center"]
APP_LABELS = [
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
]

# Where GCP resources that take labels keep them; any other `labels` input is checked too.
GCP_LABEL_PATHS: dict[str, tuple[str, ...]] = {
    "gcp:container/cluster:Cluster": ("resourceLabels",),
    "gcp:container/nodePool:NodePool": ("nodeConfig", "resourceLabels"),
    "gcp:artifactregistry/repository:Repository": ("labels",),
    "gcp:storage/bucket:Bucket": ("labels",),
    "gcp:kms/cryptoKey:CryptoKey": ("labels",),
    "gcp:compute/address:Address": ("labels",),
    "gcp:compute/globalAddress:GlobalAddress": ("labels",),
    "gcp:compute/instance:Instance": ("labels",),
    "gcp:secretmanager/secret:Secret": ("labels",),
    "gcp:pubsub/topic:Topic": ("labels",),
}


def _problems(labels: Any, config: Config) -> list[str]:
    if labels is UNKNOWN:
        return []
    present = as_dict(labels)
    required = [k for k in as_list(config.get("requiredLabels")) if isinstance(k, str)]
    problems = [f"label {key} is missing" for key in required if key not in present]
    for key, wanted in sorted(as_dict(config.get("expectedLabels")).items()):
        value = present.get(key)
        if value is not None and not is_unknown(value) and value != wanted:
            problems.append(f"label {key} is {value!r}, expected {wanted!r}")
        elif value is None and key not in required:
            problems.append(f"label {key} is missing")
    return problems


def check_kubernetes_labels(resource: Resource, config: Config) -> Iterator[str]:
    if not is_kubernetes(resource.type) or "metadata" not in resource.props:
        return
    problems = _problems(get(resource.props, "metadata", "labels"), config)
    if problems:
        yield "metadata.labels: " + "; ".join(problems)


def check_gcp_labels(resource: Resource, config: Config) -> Iterator[str]:
    if not resource.type.startswith("gcp:"):
        return
    path = GCP_LABEL_PATHS.get(resource.type)
    if path is None:
        if "labels" not in resource.props:
            return
        path = ("labels",)
    labels = get(resource.props, *path)
    if labels is UNKNOWN:
        return
    defaults = as_dict(resource.provider_props.get("defaultLabels"))
    problems = _problems({**defaults, **as_dict(labels)}, config)
    if problems:
        yield f"{'.'.join(path)}: " + "; ".join(problems)


POLICIES = [
    resource_policy(
        "kubernetes-labels",
        "Every Kubernetes object carries the app.kubernetes.io labels and the stack labels.",
        check_kubernetes_labels,
        {
            "requiredLabels": {
                "type": "array",
                "items": {"type": "string"},
                "default": APP_LABELS + STACK_LABELS,
            },
            "expectedLabels": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "default": {
                    "app.kubernetes.io/managed-by": "pulumi",
                    "app.kubernetes.io/part-of": "servestack",
                },
            },
        },
    ),
    resource_policy(
        "gcp-labels",
        "Every GCP resource that takes labels carries the stack labels.",
        check_gcp_labels,
        {
            "requiredLabels": {
                "type": "array",
                "items": {"type": "string"},
                "default": STACK_LABELS,
            },
            "expectedLabels": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "default": {},
            },
        },
    ),
]
