"""Kubernetes manifests as rules need them: kind, pod templates, containers, selectors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from policies.values import UNKNOWN, as_dict, as_list, as_number, get, is_unknown

# Where each workload kind keeps its pod template.
POD_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}

GPU_RESOURCE = "nvidia.com/gpu"
GPU_TAINT_KEY = "nvidia.com/gpu"
ACCELERATOR_LABELS = ("servestack.io/accelerator", "cloud.google.com/gke-accelerator")


def is_kubernetes(resource_type: str) -> bool:
    """A Kubernetes object type (not the provider, not a Patch or List helper)."""
    if not resource_type.startswith("kubernetes:") or resource_type.count(":") != 2:
        return False
    kind = resource_type.rsplit(":", 1)[1]
    return not kind.endswith(("Patch", "List")) and not resource_type.startswith(
        ("kubernetes:index", "kubernetes:helm", "kubernetes:yaml", "kubernetes:kustomize")
    )


def kind_of(resource_type: str, props: dict[str, Any]) -> str | None:
    """A Kubernetes object's kind, from the manifest or else the type token; None for others."""
    if not is_kubernetes(resource_type):
        return None
    kind = props.get("kind")
    if isinstance(kind, str):
        return kind
    return resource_type.rsplit(":", 1)[-1]


@dataclass(frozen=True)
class PodTemplate:
    """A pod template's metadata and spec, plus the kind that carries it."""

    kind: str
    metadata: dict[str, Any]
    spec: dict[str, Any]

    @property
    def labels(self) -> dict[str, Any]:
        return as_dict(self.metadata.get("labels"))

    def containers(self, *, init: bool = False) -> list[dict[str, Any]]:
        found = [as_dict(c) for c in as_list(self.spec.get("containers"))]
        if init:
            found += [as_dict(c) for c in as_list(self.spec.get("initContainers"))]
        return found


def pod_template(resource_type: str, props: dict[str, Any]) -> PodTemplate | None:
    """The pod template of a workload (or the Pod itself); None for other objects."""
    kind = kind_of(resource_type, props)
    if kind is None:
        return None
    if kind == "Pod":
        return PodTemplate(kind, as_dict(props.get("metadata")), as_dict(props.get("spec")))
    path = POD_TEMPLATE_PATHS.get(kind)
    if path is None:
        return None
    template = get(props, *path)
    if template is UNKNOWN or not isinstance(template, dict):
        return None
    return PodTemplate(kind, as_dict(template.get("metadata")), as_dict(template.get("spec")))


def container_name(container: dict[str, Any]) -> str:
    name = container.get("name")
    return name if isinstance(name, str) else "?"


def gpu_count(container: dict[str, Any]) -> float | None:
    """GPUs a container asks for (limits, else requests); None when unknown."""
    for section in ("limits", "requests"):
        value = get(container, "resources", section, GPU_RESOURCE)
        if value is None:
            continue
        if is_unknown(value):
            return None
        number = as_number(value)
        if number is not None:
            return number
    return 0.0


def targets_gpu_nodes(template: PodTemplate) -> bool:
    """Whether the pod is placed on accelerator nodes by node selector or pod label."""
    selector = as_dict(template.spec.get("nodeSelector"))
    return any(key in selector for key in ACCELERATOR_LABELS) or any(
        key in template.labels for key in ACCELERATOR_LABELS
    )


def tolerates_gpu_taint(template: PodTemplate) -> bool:
    """A toleration that matches the `nvidia.com/gpu` NoSchedule taint."""
    for toleration in as_list(template.spec.get("tolerations")):
        item = as_dict(toleration)
        operator = item.get("operator", "Equal")
        key = item.get("key")
        effect = item.get("effect")
        key_ok = key == GPU_TAINT_KEY or (key in (None, "") and operator == "Exists")
        if key_ok and effect in (None, "", "NoSchedule"):
            return True
    return False


def selector_matches(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    """A label selector's matchLabels all present in `labels` (expressions: In/Exists only)."""
    match_labels = as_dict(selector.get("matchLabels"))
    if any(labels.get(key) != value for key, value in match_labels.items()):
        return False
    for expression in as_list(selector.get("matchExpressions")):
        item = as_dict(expression)
        key = str(item.get("key"))
        operator = item.get("operator")
        values = as_list(item.get("values"))
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return bool(match_labels) or bool(as_list(selector.get("matchExpressions")))
