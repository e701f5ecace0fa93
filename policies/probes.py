"""Probe rules: startup, readiness and liveness on every container; readiness != liveness."""

from __future__ import annotations

from collections.abc import Iterator

from policies.base import Config, Resource, resource_policy
from policies.workloads import container_name, pod_template

PROBES = ("startupProbe", "readinessProbe", "livenessProbe")


def check_probes(resource: Resource, config: Config) -> Iterator[str]:
    template = pod_template(resource.type, resource.props)
    if template is None or template.kind in {"Job", "CronJob"}:
        return
    for container in template.containers():
        name = container_name(container)
        missing = [probe for probe in PROBES if container.get(probe) is None]
        if missing:
            yield f"container {name!r} has no {', '.join(missing)}"
        readiness = container.get("readinessProbe")
        if readiness is not None and readiness == container.get("livenessProbe"):
            yield f"container {name!r} uses the same probe for readiness and liveness"


POLICIES = [
    resource_policy(
        "container-probes",
        "Containers have startup, readiness and liveness probes; readiness differs from "
        "liveness so a busy server is taken out of rotation, not restarted.",
        check_probes,
    ),
]
