"""Names and labels of every Kubernetes object servestack declares for a model server.

Selectors use only labels that never change over a server's life (name, instance,
component; plus the track on a Deployment), so a model-version bump never touches a
selector and never replaces a Service or Deployment.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Literal

from infra.config import ServerSpec
from infra.config.targets import ServingTarget

PART_OF = "servestack"
MANAGED_BY = "pulumi"
COMPONENT_SERVER = "model-server"
COMPONENT_NAMESPACE = "serving-namespace"
TRACK_LABEL = "servestack.io/track"
# The same track as a Prometheus label on every series of the pod (PodMonitoring fromPod).
METRIC_TRACK_LABEL = "track"
MODEL_VERSIONS_ANNOTATION = "servestack.io/model-versions"
LABEL_VALUE_MAX = 63

Track = Literal["stable", "canary"]


def instance(target: ServingTarget, server: ServerSpec) -> str:
    """Unique per server and environment: `<server>-<env>`."""
    return f"{server.name}-{target.labels.env}"


def selector_labels(target: ServingTarget, server: ServerSpec) -> dict[str, str]:
    """What a Service, PDB, NetworkPolicy and PodMonitoring select: every track, every version."""
    return {
        "app.kubernetes.io/component": COMPONENT_SERVER,
        "app.kubernetes.io/instance": instance(target, server),
        "app.kubernetes.io/name": server.name,
    }


def track_selector(target: ServingTarget, server: ServerSpec, track: Track) -> dict[str, str]:
    """A Deployment's selector: the server's selector plus its track, so tracks never overlap."""
    return dict(sorted({**selector_labels(target, server), TRACK_LABEL: track}.items()))


def _labels(target: ServingTarget, identity: dict[str, str], version: str) -> dict[str, str]:
    """The stack labels and every app.kubernetes.io label, sorted."""
    labels = {
        **target.labels.as_dict(),
        **identity,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/version": version,
    }
    return dict(sorted(labels.items()))


def object_labels(
    target: ServingTarget, server: ServerSpec, version: str | None = None
) -> dict[str, str]:
    """Labels of a server's object; `version` defaults to the TF Serving release.

    Only workloads carry the model version, so a version bump changes nothing else.
    """
    return _labels(target, selector_labels(target, server), version or target.tf_serving_version)


def namespace_labels(target: ServingTarget) -> dict[str, str]:
    """Labels of the namespace-wide objects (Namespace, default-deny policy)."""
    identity = {
        "app.kubernetes.io/component": COMPONENT_NAMESPACE,
        "app.kubernetes.io/instance": f"{target.namespace}-{target.labels.env}",
        "app.kubernetes.io/name": target.namespace,
    }
    return _labels(target, identity, target.tf_serving_version)


def served_versions(server: ServerSpec, track: Track) -> list[tuple[str, list[int]]]:
    """(model, versions) a track's image serves; the canary swaps in `canary.version`."""
    canary_model = server.canary_model if track == "canary" else None
    served: list[tuple[str, list[int]]] = []
    for model in server.models:
        if canary_model is not None and server.canary is not None and model is canary_model:
            served.append((model.name, [server.canary.version]))
        else:
            served.append((model.name, sorted(model.versions)))
    return served


def versions_annotation(served: Sequence[tuple[str, list[int]]]) -> str:
    """Full record of the served versions, e.g. `inception=2,3;resnet=1`."""
    return ";".join(f"{name}={','.join(str(v) for v in versions)}" for name, versions in served)


def version_label(served: Sequence[tuple[str, list[int]]]) -> str:
    """A label value naming the served versions, e.g. `inception-2_3`; hashed when too long."""
    value = ".".join(f"{name}-{'_'.join(str(v) for v in versions)}" for name, versions in served)
    if len(value) <= LABEL_VALUE_MAX:
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()[:8]
    return f"{value[: LABEL_VALUE_MAX - 9].rstrip('-_.')}-{digest}"


def deployment_name(server: ServerSpec, track: Track) -> str:
    return server.name if track == "stable" else f"{server.name}-canary"
