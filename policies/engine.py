"""Run the policy pack offline over a captured plan, through the pulumi-policy SDK's own types.

Each captured resource becomes the `ResourceValidationArgs` / `StackValidationArgs` the
SDK's analyzer would build (inputs deserialized and wrapped in its unknown-checking proxy),
and each policy's `validate` runs exactly as under `pulumi preview --policy-pack`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from infra.config import ConfigError
from policies.pack import PACK_NAME, POLICIES
from policies.verdict import Verdict

Level = Literal["mandatory", "advisory"]
CONFIG_DIR = "policies/config"
PACK_DEFAULT = EnforcementLevel.ADVISORY


# ------------------------------------------------------------------------- config


def config_path(root: Path, stack: str) -> Path:
    return root / CONFIG_DIR / f"{stack}.json"


def load_policy_config(root: Path, stack: str, path: Path | None = None) -> dict[str, Any]:
    """The stack's policy config (`policies/config/<stack>.json` unless `path` is given)."""
    source = path if path is not None else config_path(root, stack)
    file = str(source.relative_to(root)) if source.is_relative_to(root) else str(source)
    if not source.is_file():
        raise ConfigError(file, "", f"no policy config for stack {stack!r}")
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ConfigError(file, "", f"malformed JSON: {error.msg} at line {error.lineno}") from None
    problem = validate_config(document)
    if problem is not None:
        key, message = problem
        raise ConfigError(file, key, message)
    return dict(document)


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "array": (list,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "object": (dict,),
    "string": (str,),
}
_LEVELS = {level.value for level in EnforcementLevel}


def _type_ok(value: Any, schema: Mapping[str, Any]) -> bool:
    kind = schema.get("type")
    if kind is None:
        return True
    if isinstance(value, bool) and kind in {"integer", "number"}:
        return False
    if not isinstance(value, _JSON_TYPES[str(kind)]):
        return False
    if isinstance(value, list) and "items" in schema:
        return all(_type_ok(item, schema["items"]) for item in value)
    if isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        return all(_type_ok(v, schema["additionalProperties"]) for v in value.values())
    return "minimum" not in schema or value >= schema["minimum"]


def validate_config(document: Any) -> tuple[str, str] | None:
    """The first (key, message) that the Pulumi CLI would reject in a policy config, or None."""
    if not isinstance(document, dict):
        return "", "must be a JSON object of policy name to settings"
    policies = {p.name: p for p in POLICIES}
    for name, value in document.items():
        if isinstance(value, str):
            if value not in _LEVELS:
                return name, f"unknown enforcement level {value!r}"
            continue
        if not isinstance(value, dict):
            return name, "must be an enforcement level or an object"
        level = value.get("enforcementLevel")
        if level is not None and level not in _LEVELS:
            return f"{name}.enforcementLevel", f"unknown enforcement level {level!r}"
        if name == "all":
            extra = sorted(set(value) - {"enforcementLevel"})
            if extra:
                return f"all.{extra[0]}", "only enforcementLevel may be set for all"
            continue
        policy = policies.get(name)
        if policy is None:
            return name, f"unknown policy; known: {', '.join(sorted(policies))}"
        schema = policy.config_schema.properties if policy.config_schema else {}
        for key, setting in value.items():
            if key == "enforcementLevel":
                continue
            if key not in schema:
                allowed = ", ".join(sorted(schema)) or "none"
                return f"{name}.{key}", f"unknown property; allowed: {allowed}"
            if not _type_ok(setting, schema[key]):
                return f"{name}.{key}", f"must be {schema[key].get('type')} (got {setting!r})"
    return None


def _level_of(entry: Any) -> EnforcementLevel | None:
    raw = entry if isinstance(entry, str) else (entry or {}).get("enforcementLevel")
    return EnforcementLevel(raw) if isinstance(raw, str) else None


def enforcement_level(policy: Policy, config: Mapping[str, Any]) -> EnforcementLevel:
    """Level as the CLI resolves it: the policy's entry, else `all`, else the pack default."""
    return (
        _level_of(config.get(policy.name))
        or _level_of(config.get("all"))
        or policy.enforcement_level
        or PACK_DEFAULT
    )


def policy_properties(policy: Policy, config: Mapping[str, Any]) -> dict[str, Any]:
    entry = config.get(policy.name)
    if not isinstance(entry, dict):
        return {}
    return {k: v for k, v in entry.items() if k != "enforcementLevel"}


# ------------------------------------------------------------------ SDK argument bags


_DURATION = re.compile(r"(\d+(?:\.\d+)?)([hms])")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0}


def _seconds(value: Any) -> float:
    """Custom timeouts are durations such as "10m" or "1h30m"; the SDK wants seconds."""
    if isinstance(value, int | float):
        return float(value)
    return sum(float(n) * _UNITS[unit] for n, unit in _DURATION.findall(str(value or "")))


def _options(resource: Mapping[str, Any]) -> PolicyResourceOptions:
    options = dict(resource.get("options") or {})
    timeouts = dict(options.get("customTimeouts") or {})
    return PolicyResourceOptions(
        protect=bool(options.get("protect", False)),
        ignore_changes=list(options.get("ignoreChanges") or []),
        delete_before_replace=options.get("deleteBeforeReplace"),
        aliases=list(options.get("aliases") or []),
        custom_timeouts=PolicyCustomTimeouts(
            _seconds(timeouts.get("create")),
            _seconds(timeouts.get("update")),
            _seconds(timeouts.get("delete")),
        ),
        additional_secret_outputs=list(options.get("additionalSecretOutputs") or []),
        parent=resource.get("parent") or None,
    )


def _props(inputs: Any) -> Any:
    """Inputs as the SDK's analyzer hands them to a policy."""
    raw = dict(inputs or {})
    try:
        deserialized = deserialize_properties(raw)
    except (AssertionError, TypeError):
        deserialized = raw
    return unknown_checking_proxy(deserialized)


def _type_from_urn(urn: str) -> str:
    parts = urn.split("::")
    return parts[2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""


@dataclass(frozen=True)
class Prepared:
    """One captured resource in the SDK's types, built once and handed to every policy.

    The SDK's analyzer deserialises and proxies a resource's inputs afresh for each policy
    (pulumi_policy/policy.py, `Analyze` and `AnalyzeStack`); the objects are equal each
    time, so the offline engine builds them once.
    """

    urn: str
    type: str
    name: str
    props: Any
    opts: PolicyResourceOptions
    provider: PolicyProviderResource | None
    parent: str
    dependencies: tuple[str, ...]

    def args(self, config: Mapping[str, Any]) -> ResourceValidationArgs:
        return ResourceValidationArgs(
            resource_type=self.type,
            props=self.props,
            urn=self.urn,
            name=self.name,
            opts=self.opts,
            provider=self.provider,
            config=config,
        )


def _provider_urn(reference: str) -> str:
    # A provider reference is "<urn>::<id>"; a URN alone has three "::" separators.
    return reference.rsplit("::", 1)[0] if reference.count("::") >= 4 else reference


def prepare(resources: Sequence[Mapping[str, Any]]) -> list[Prepared]:
    """Every resource in the SDK's types; each provider's view is built once too."""
    by_urn = {str(r.get("urn", "")): r for r in resources}
    providers: dict[str, PolicyProviderResource] = {}

    def provider(reference: str) -> PolicyProviderResource | None:
        if not reference:
            return None
        urn = _provider_urn(reference)
        if urn not in providers:
            found = by_urn.get(urn) or {}
            name = urn.rsplit("::", 1)[-1]
            props = _props(found.get("inputs"))
            providers[urn] = PolicyProviderResource(_type_from_urn(urn), props, urn, name)
        return providers[urn]

    prepared = []
    for resource in resources:
        options = dict(resource.get("options") or {})
        depends = options.get("dependsOn") or options.get("dependencies") or []
        prepared.append(
            Prepared(
                urn=str(resource.get("urn", "")),
                type=str(resource.get("type", "")),
                name=str(resource.get("name", "")),
                props=_props(resource.get("inputs")),
                opts=_options(resource),
                provider=provider(str(resource.get("provider") or "")),
                parent=str(resource.get("parent") or ""),
                dependencies=tuple(str(d) for d in depends),
            )
        )
    return prepared


def stack_resources(prepared: Sequence[Prepared]) -> list[PolicyResource]:
    """The stack policies' view: one `PolicyResource` per URN, parents and dependencies linked."""
    built: dict[str, PolicyResource] = {}
    for item in prepared:
        built[item.urn] = PolicyResource(
            resource_type=item.type,
            props=item.props,
            urn=item.urn,
            name=item.name,
            opts=item.opts,
            provider=item.provider,
            parent=None,
            dependencies=[],
            property_dependencies={},
        )
    for item in prepared:
        resource = built[item.urn]
        resource.parent = built.get(item.parent) if item.parent else None
        for dependency in item.dependencies:
            if dependency in built:
                resource.dependencies.append(built[dependency])
    return list(built.values())


# ------------------------------------------------------------------------ evaluate


def _level_name(level: EnforcementLevel) -> Level:
    return "advisory" if level == EnforcementLevel.ADVISORY else "mandatory"


def _run(
    policy: Policy,
    level: EnforcementLevel,
    args: ResourceValidationArgs | StackValidationArgs,
    default_urn: str,
    verdicts: list[Verdict],
) -> None:
    def report(message: str, urn: str | None = None) -> None:
        text = message or policy.description
        verdicts.append(Verdict(policy.name, _level_name(level), urn or default_urn, text))

    try:
        if isinstance(policy, ResourceValidationPolicy):
            assert isinstance(args, ResourceValidationArgs)
            policy.validate(args, report)
        elif isinstance(policy, StackValidationPolicy):
            assert isinstance(args, StackValidationArgs)
            policy.validate(args, report)
    except UnknownValueError as error:
        message = f"can't run policy {policy.name!r} during preview: {error.message}"
        verdicts.append(Verdict(policy.name, "advisory", default_urn, message))
    except _NotApplicableError:
        pass


def evaluate(resources: list[dict[str, Any]], config: Mapping[str, Any]) -> list[Verdict]:
    """Every violation the pack finds in a plan's resources under a policy config.

    Linear in resources plus policies: the resources are prepared once, every resource
    policy sees the same prepared objects and every stack policy the same list.
    """
    prepared = prepare(resources)
    everything: list[PolicyResource] | None = None
    verdicts: list[Verdict] = []
    for policy in POLICIES:
        level = enforcement_level(policy, config)
        if level == EnforcementLevel.DISABLED:
            continue
        properties = policy_properties(policy, config)
        if isinstance(policy, ResourceValidationPolicy):
            for item in prepared:
                _run(policy, level, item.args(properties), item.urn, verdicts)
        elif isinstance(policy, StackValidationPolicy):
            if everything is None:
                everything = stack_resources(prepared)
            _run(policy, level, StackValidationArgs(everything, properties), "", verdicts)
    return sorted(set(verdicts), key=lambda v: (v.level != "mandatory", v.policy, v.urn, v.message))


__all__ = ["PACK_NAME", "Verdict", "evaluate", "load_policy_config", "validate_config"]
