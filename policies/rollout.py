"""Rollout safety: zero-unavailable rolling updates, replicas, disruption budgets, zone spread."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from policies.base import Config, Resource, resource_policy, stack_policy
from policies.values import UNKNOWN, as_dict, as_list, as_number, get, is_unknown
from policies.workloads import kind_of, pod_template, selector_matches

ZONE_KEYS = {"topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"}
EXEMPT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {"type": "string"},
    "default": {},
    "description": "Deployments whose labels match all of these are exempt (e.g. a canary).",
}


def _kind(resource: Resource) -> str | None:
    return kind_of(resource.type, resource.props)


def check_rolling_update(resource: Resource, config: Config) -> Iterator[str]:
    if _kind(resource) != "Deployment":
        return
    strategy = get(resource.props, "spec", "strategy")
    if strategy is UNKNOWN:
        return
    kind = as_dict(strategy).get("type", "RollingUpdate")
    if kind not in ("RollingUpdate", UNKNOWN):
        yield f"strategy is {kind}, not RollingUpdate"
        return
    unavailable = get(as_dict(strategy), "rollingUpdate", "maxUnavailable")
    if unavailable is UNKNOWN:
        return
    if unavailable is None:
        yield "rollingUpdate.maxUnavailable is unset (Kubernetes defaults to 25%); set it to 0"
    elif str(unavailable) not in ("0", "0%", "0.0"):
        yield f"rollingUpdate.maxUnavailable is {unavailable}, not 0"


def _spreads_across_zones(spec: dict[str, Any]) -> bool:
    for constraint in as_list(spec.get("topologySpreadConstraints")):
        if as_dict(constraint).get("topologyKey") in ZONE_KEYS:
            return True
    anti = get(spec, "affinity", "podAntiAffinity")
    terms = as_list(get(as_dict(anti), "requiredDuringSchedulingIgnoredDuringExecution"))
    terms += [
        as_dict(t).get("podAffinityTerm")
        for t in as_list(get(as_dict(anti), "preferredDuringSchedulingIgnoredDuringExecution"))
    ]
    return any(as_dict(term).get("topologyKey") in ZONE_KEYS for term in terms)


def check_zone_spread(resource: Resource, config: Config) -> Iterator[str]:
    if not config.get("requireZoneSpread", False):
        return
    if _kind(resource) not in ("Deployment", "StatefulSet"):
        return
    template = pod_template(resource.type, resource.props)
    if template is None or get(template.spec, "topologySpreadConstraints") is UNKNOWN:
        return
    if not _spreads_across_zones(template.spec):
        yield (
            "pods are not spread across zones "
            "(no topologySpreadConstraints on topology.kubernetes.io/zone)"
        )


def check_hpa_bounds(resource: Resource, config: Config) -> Iterator[str]:
    if _kind(resource) != "HorizontalPodAutoscaler":
        return
    low = get(resource.props, "spec", "minReplicas")
    high = get(resource.props, "spec", "maxReplicas")
    if low is UNKNOWN or high is UNKNOWN:
        return
    minimum = 1.0 if low is None else as_number(low)
    maximum = as_number(high)
    if minimum is not None and maximum is not None and minimum > maximum:
        yield f"minReplicas {minimum:g} > maxReplicas {maximum:g}"


# ------------------------------------------------------------------------ stack view


@dataclass(frozen=True)
class Workload:
    """A Deployment with its identity, pod labels and the autoscaler that manages it."""

    resource: Resource
    namespace: Any
    name: Any
    pod_labels: dict[str, Any]
    hpa: Resource | None

    @property
    def labels(self) -> dict[str, Any]:
        """Object labels over pod labels: what an exemption may match."""
        return {**self.pod_labels, **as_dict(get(self.resource.props, "metadata", "labels"))}


def _namespace(props: dict[str, Any]) -> Any:
    value = get(props, "metadata", "namespace")
    return "default" if value is None else value


def _same(a: Any, b: Any) -> bool:
    """Equality where an unknown value matches anything."""
    return is_unknown(a) or is_unknown(b) or a == b


def _targets(hpa: Resource, deployment: Resource) -> bool:
    ref = as_dict(get(hpa.props, "spec", "scaleTargetRef"))
    if ref.get("kind") not in ("Deployment", UNKNOWN):
        return False
    target = ref.get("name")
    if is_unknown(target) or not _same(_namespace(hpa.props), _namespace(deployment.props)):
        return False
    name = get(deployment.props, "metadata", "name")
    if name is None:  # auto-named: the engine appends a random suffix to the resource name
        return target == deployment.name or str(target).startswith(f"{deployment.name}-")
    return name is UNKNOWN or name == target


def workloads(resources: list[Resource]) -> list[Workload]:
    """Every Deployment, paired with the HPA that scales it (if any)."""
    hpas = [r for r in resources if _kind(r) == "HorizontalPodAutoscaler"]
    found: list[Workload] = []
    for resource in resources:
        if _kind(resource) != "Deployment":
            continue
        template = pod_template(resource.type, resource.props)
        hpa = next((h for h in hpas if _targets(h, resource)), None)
        found.append(
            Workload(
                resource=resource,
                namespace=_namespace(resource.props),
                name=get(resource.props, "metadata", "name") or resource.name,
                pod_labels=template.labels if template else {},
                hpa=hpa,
            )
        )
    return found


def _exempt(workload: Workload, config: Config) -> bool:
    """Deployments matching every `exemptLabels` pair (e.g. a fixed-size canary track)."""
    wanted = as_dict(config.get("exemptLabels"))
    labels = workload.labels
    return bool(wanted) and all(labels.get(key) == value for key, value in wanted.items())


def _unresolved_hpa(resources: list[Resource]) -> bool:
    """An HPA whose target is not known yet may manage any Deployment."""
    return any(
        _kind(r) == "HorizontalPodAutoscaler"
        and is_unknown(get(r.props, "spec", "scaleTargetRef", "name"))
        for r in resources
    )


def check_min_replicas(resources: list[Resource], config: Config) -> Iterator[tuple[str, str]]:
    wanted = as_number(config.get("minReplicas")) or 1.0
    maybe_managed = _unresolved_hpa(resources)
    for workload in workloads(resources):
        if _exempt(workload, config):
            continue
        replicas = get(workload.resource.props, "spec", "replicas")
        if workload.hpa is None and replicas is None and maybe_managed:
            continue
        if workload.hpa is not None:
            value = get(workload.hpa.props, "spec", "minReplicas")
            where, urn = "HPA minReplicas", workload.hpa.urn
        else:
            value = replicas
            where, urn = "replicas", workload.resource.urn
        if value is UNKNOWN:
            continue
        count = 1.0 if value is None else as_number(value)
        if count is not None and count < wanted:
            yield f"{workload.name}: {where} {count:g} < {wanted:g}", urn


def check_pdb(resources: list[Resource], config: Config) -> Iterator[tuple[str, str]]:
    if not config.get("requirePdb", False):
        return
    budgets = [r for r in resources if _kind(r) == "PodDisruptionBudget"]
    for workload in workloads(resources):
        if workload.hpa is None or _exempt(workload, config):
            continue
        covered = any(
            _same(_namespace(b.props), workload.namespace)
            and (
                get(b.props, "spec", "selector") is UNKNOWN
                or selector_matches(as_dict(get(b.props, "spec", "selector")), workload.pod_labels)
            )
            for b in budgets
        )
        if not covered:
            yield (
                f"{workload.name}: autoscaled Deployment has no PodDisruptionBudget",
                workload.resource.urn,
            )


def check_replicas_with_hpa(resources: list[Resource], config: Config) -> Iterator[tuple[str, str]]:
    for workload in workloads(resources):
        if workload.hpa is None:
            continue
        if get(workload.resource.props, "spec", "replicas") is not None:
            yield (
                f"{workload.name}: spec.replicas is set although an HPA manages it "
                "(every update would reset the scale)",
                workload.resource.urn,
            )


POLICIES = [
    resource_policy(
        "rolling-update-zero-unavailable",
        "Deployments roll with RollingUpdate and maxUnavailable 0, so capacity never drops.",
        check_rolling_update,
    ),
    resource_policy(
        "zone-topology-spread",
        "Serving pods spread across zones, so a zone outage leaves capacity.",
        check_zone_spread,
        {"requireZoneSpread": {"type": "boolean", "default": False}},
    ),
    resource_policy(
        "hpa-bounds",
        "An autoscaler's minReplicas does not exceed its maxReplicas.",
        check_hpa_bounds,
    ),
    stack_policy(
        "min-replicas",
        "Each Deployment keeps at least the configured number of replicas.",
        check_min_replicas,
        {
            "minReplicas": {"type": "integer", "minimum": 1, "default": 1},
            "exemptLabels": EXEMPT_SCHEMA,
        },
    ),
    stack_policy(
        "pdb-for-autoscaled",
        "Every autoscaled Deployment has a PodDisruptionBudget selecting its pods.",
        check_pdb,
        {
            "requirePdb": {"type": "boolean", "default": False},
            "exemptLabels": EXEMPT_SCHEMA,
        },
    ),
    stack_policy(
        "no-replicas-with-hpa",
        "A Deployment scaled by an HPA does not set spec.replicas.",
        check_replicas_with_hpa,
    ),
]
