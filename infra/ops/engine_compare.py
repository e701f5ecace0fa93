"""Does the offline plan say what the engine holds? The JSON plan against `pulumi stack export`.

The export is Pulumi's deployment format: `{"version": 3, "deployment": {"manifest",
"secrets_providers", "resources": [ResourceV3, ...]}}`, each resource with `urn`, `type`,
`custom`, `parent`, `provider` (`<provider urn>::<provider id>`), `inputs`, `outputs`, ...
(https://www.pulumi.com/docs/iac/cli/commands/pulumi_stack_export/; the types are
`UntypedDeployment`, `DeploymentV3` and `ResourceV3` in pulumi/pulumi
sdk/go/common/apitype/core.go, the JSON schemas resources.json and property-values.json beside
it). Both sides are reduced to the same view before comparing:

Normalisation (what is left out, and why):
1. Resources the engine makes by itself: the root `pulumi:pulumi:Stack` and default providers
   (`pulumi:providers:<package>` named `default` or `default_<version>`). The mock monitor
   records neither; a reference to a default provider counts as "no explicit provider" (the
   plan writes `""`).
2. Provider references lose their `::<id>` suffix: the plan knows URNs, never provider IDs.
3. Only the fields that matter are compared, per resource type (FIELDS below); everything
   else the provider fills in (defaults, status, `version` on providers) is left out. Types
   without an entry are compared by URN, type, parent and provider only.
4. Images compare as repository and tag; the digest is dropped (the mock only derives it).
5. Secrets compare as `[secret]` whatever their ciphertext (signature
   1b47061264138c4ac30d75fd1eb44270 in property-values.json); a value secret on one side and
   plain on the other is a mismatch. Plan values the mock could not know (`[computed]`) are
   skipped.
6. Numbers compare by value (8500 and 8500.0 are one number).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SECRET = "[secret]"
COMPUTED = "[computed]"
STACK_TYPE = "pulumi:pulumi:Stack"
_DEFAULT_PROVIDER = re.compile(r"::pulumi:providers:[^:]+::default(_[0-9A-Za-z_.+-]+)?$")
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")

_META = ("metadata.name", "metadata.namespace", "metadata.labels")
_CONTAINER = (
    "image",
    "command",
    "args",
    "ports",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "resources",
)
FIELDS: dict[str, tuple[str, ...]] = {
    "kubernetes:apps/v1:Deployment": (
        *_META,
        "spec.replicas",
        "spec.selector",
        "spec.template.metadata.labels",
        "spec.template.spec.containers",
    ),
    "kubernetes:core/v1:Service": (*_META, "spec.type", "spec.selector", "spec.ports"),
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": (
        *_META,
        "spec.minReplicas",
        "spec.maxReplicas",
        "spec.scaleTargetRef",
        "spec.metrics",
    ),
    "kubernetes:policy/v1:PodDisruptionBudget": (
        *_META,
        "spec.selector",
        "spec.minAvailable",
        "spec.maxUnavailable",
    ),
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": (
        *_META,
        "spec.podSelector",
        "spec.policyTypes",
        "spec.ingress",
    ),
    "kubernetes:core/v1:Namespace": ("metadata.name", "metadata.labels"),
    "kubernetes:core/v1:ServiceAccount": (*_META, "automountServiceAccountToken"),
    "pulumi:providers:kubernetes": ("context", "kubeconfig", "namespace"),
    "docker-build:index:Image": ("tags", "buildArgs", "platforms", "push"),
}


class CompareError(Exception):
    """An input that is not a plan or not a stack export, as one line."""


@dataclass(frozen=True)
class View:
    """One resource reduced to what both sides can say about it."""

    type: str
    parent: str
    provider: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class Mismatch:
    urn: str
    field: str
    plan: Any
    engine: Any

    def line(self) -> str:
        return f"{self.urn}: {self.field}: plan {_show(self.plan)} != engine {_show(self.engine)}"


@dataclass(frozen=True)
class Comparison:
    only_in_plan: list[str]
    only_in_engine: list[str]
    mismatches: list[Mismatch]
    compared: int

    @property
    def ok(self) -> bool:
        return not (self.only_in_plan or self.only_in_engine or self.mismatches)

    def lines(self) -> list[str]:
        out = [f"{urn}: in the plan, not in the engine" for urn in self.only_in_plan]
        out += [f"{urn}: in the engine, not in the plan" for urn in self.only_in_engine]
        out += [m.line() for m in self.mismatches]
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "compared": self.compared,
            "onlyInPlan": self.only_in_plan,
            "onlyInEngine": self.only_in_engine,
            "mismatches": [
                {"urn": m.urn, "field": m.field, "plan": m.plan, "engine": m.engine}
                for m in self.mismatches
            ],
        }


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


_ABSENT: Any = _Absent()


def _show(value: Any) -> str:
    return "(absent)" if value is _ABSENT else json.dumps(value, sort_keys=True)


def normal_value(value: Any) -> Any:
    """Secrets masked, integral floats as ints, objects with sorted keys (rules 5 and 6)."""
    if isinstance(value, Mapping):
        if value.get(SIG_KEY) == SECRET_SIG:
            return SECRET
        return {str(k): normal_value(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [normal_value(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def split_image(ref: str) -> dict[str, str]:
    """`repo[:tag][@sha256:...]` as repository and tag; the digest is dropped (rule 4)."""
    bare = _DIGEST.sub("", ref)
    slash = bare.rfind("/")
    colon = bare.rfind(":")
    if colon > slash:
        return {"repository": bare[:colon], "tag": bare[colon + 1 :]}
    return {"repository": bare, "tag": ""}


def _get(inputs: Mapping[str, Any], path: str) -> Any:
    node: Any = inputs
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return _ABSENT
        node = node[key]
    return node


def _containers(value: Any) -> dict[str, Any]:
    """Containers by name, each reduced to the fields that matter."""
    out: dict[str, Any] = {}
    for container in value if isinstance(value, list) else []:
        if not isinstance(container, Mapping):
            continue
        name = str(container.get("name", ""))
        for key in _CONTAINER:
            if key not in container:
                continue
            item = container[key]
            if key == "image" and isinstance(item, str):
                out[f"containers[{name}].image.repository"] = split_image(item)["repository"]
                out[f"containers[{name}].image.tag"] = split_image(item)["tag"]
            else:
                out[f"containers[{name}].{key}"] = normal_value(item)
    return out


def reduce_fields(type_token: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The compared fields of one resource (rule 3), flattened to `dotted.path: value`."""
    fields: dict[str, Any] = {}
    for path in FIELDS.get(type_token, ()):
        value = _get(inputs, path)
        if value is _ABSENT:
            continue
        if path.endswith(".containers"):
            fields.update(
                {f"{path[: -len('containers')]}{k}": v for k, v in _containers(value).items()}
            )
        else:
            fields[path] = normal_value(value)
    return fields


def provider_ref(reference: str) -> str:
    """A provider reference as the plan writes it (rules 1 and 2)."""
    urn = reference.rsplit("::", 1)[0] if reference.count("::") > 3 else reference
    return "" if _DEFAULT_PROVIDER.search(urn) else urn


def is_engine_made(urn: str, type_token: str) -> bool:
    """The root stack and default providers exist only in the engine (rule 1)."""
    return type_token == STACK_TYPE or bool(_DEFAULT_PROVIDER.search(urn))


def plan_view(plan: Mapping[str, Any]) -> dict[str, View]:
    """The offline JSON plan (`servestack preview --offline --json`) by URN."""
    resources = plan.get("resources")
    if not isinstance(resources, list) or "stack" not in plan:
        raise CompareError("not a servestack plan (expected 'stack' and a 'resources' list)")
    views: dict[str, View] = {}
    for resource in resources:
        views[str(resource["urn"])] = View(
            type=str(resource["type"]),
            parent=str(resource.get("parent") or ""),
            provider=provider_ref(str(resource.get("provider") or "")),
            fields=reduce_fields(str(resource["type"]), resource.get("inputs") or {}),
        )
    return views


def export_view(export: Mapping[str, Any]) -> tuple[dict[str, View], list[Mismatch]]:
    """A `pulumi stack export` document by URN, and states that are no settled deployment."""
    deployment = export.get("deployment")
    if not isinstance(deployment, Mapping) or not isinstance(export.get("version"), int):
        raise CompareError("not a stack export (expected 'version' and 'deployment')")
    if export["version"] != 3:
        raise CompareError(f"stack export version {export['version']}; this reads version 3")
    views: dict[str, View] = {}
    problems: list[Mismatch] = []
    for op in deployment.get("pending_operations") or []:
        urn = str(op.get("resource", {}).get("urn", "?"))
        problems.append(Mismatch(urn, "pending_operations", None, op.get("type")))
    for resource in deployment.get("resources") or []:
        urn, type_token = str(resource["urn"]), str(resource["type"])
        if resource.get("delete") or resource.get("pendingReplacement"):
            problems.append(Mismatch(urn, "delete", None, True))
            continue
        if is_engine_made(urn, type_token):
            continue
        views[urn] = View(
            type=type_token,
            parent=str(resource.get("parent") or ""),
            provider=provider_ref(str(resource.get("provider") or "")),
            fields=reduce_fields(type_token, resource.get("inputs") or {}),
        )
    return views, problems


def compare(plan: Mapping[str, Any], export: Mapping[str, Any]) -> Comparison:
    """Same URNs and types, same parents and providers, same values of the fields that matter."""
    planned = plan_view(plan)
    held, problems = export_view(export)
    mismatches = list(problems)
    for urn in sorted(set(planned) & set(held)):
        p, e = planned[urn], held[urn]
        if p.type != e.type:
            mismatches.append(Mismatch(urn, "type", p.type, e.type))
            continue
        for name, a, b in (("parent", p.parent, e.parent), ("provider", p.provider, e.provider)):
            if a != b:
                mismatches.append(Mismatch(urn, name, a, b))
        for key in sorted(set(p.fields) | set(e.fields)):
            a, b = p.fields.get(key, _ABSENT), e.fields.get(key, _ABSENT)
            if a in (COMPUTED, b):
                continue
            mismatches.append(Mismatch(urn, key, a, b))
    return Comparison(
        only_in_plan=sorted(set(planned) - set(held)),
        only_in_engine=sorted(set(held) - set(planned)),
        mismatches=mismatches,
        compared=len(set(planned) & set(held)),
    )
