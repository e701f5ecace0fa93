"""Turn pure check functions into pulumi-policy objects.

Rules are plain functions over plain data (see `values.to_plain`); this module is the only
place that adapts them to the SDK's `ResourceValidationPolicy` / `StackValidationPolicy`,
so the real CLI and the offline engine run exactly the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    PolicyProviderResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.values import to_plain

Config = Mapping[str, Any]
Schema = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Resource:
    """One resource as a rule sees it: type, URN, name and plain input properties."""

    type: str
    urn: str
    name: str
    props: dict[str, Any]
    parent: str = ""
    provider_props: dict[str, Any] = field(default_factory=dict)
    delete_before_replace: bool | None = None
    """The `deleteBeforeReplace` resource option; None: not set (the provider decides)."""


ResourceCheck = Callable[[Resource, Config], Iterable[str]]
StackCheck = Callable[[list[Resource], Config], Iterable[tuple[str, str]]]


def with_defaults(schema: Schema, config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The policy's config with each schema default filled in where the config is silent."""
    merged = {key: prop["default"] for key, prop in schema.items() if "default" in prop}
    for key, value in (config or {}).items():
        if key != "enforcementLevel":
            merged[key] = to_plain(value)
    return merged


def _provider_props(provider: PolicyProviderResource | None) -> dict[str, Any]:
    if provider is None:
        return {}
    props = to_plain(provider.props)
    return props if isinstance(props, dict) else {}


def _schema(schema: Schema) -> PolicyConfigSchema | None:
    return PolicyConfigSchema(properties=schema) if schema else None


def resource_policy(
    name: str, description: str, check: ResourceCheck, schema: Schema | None = None
) -> ResourceValidationPolicy:
    """A resource policy reporting each message `check` yields for the validated resource."""
    props_schema = schema or {}

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        resource = Resource(
            type=args.resource_type,
            urn=args.urn,
            name=args.name,
            props=to_plain(args.props),
            parent=(args.opts.parent or "") if args.opts is not None else "",
            provider_props=_provider_props(args.provider),
        )
        for message in check(resource, with_defaults(props_schema, args.get_config())):
            report(message, None)

    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        config_schema=_schema(props_schema),
    )


def stack_policy(
    name: str, description: str, check: StackCheck, schema: Schema | None = None
) -> StackValidationPolicy:
    """A stack policy reporting each (message, urn) `check` yields over all resources."""
    props_schema = schema or {}

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        resources = [
            Resource(
                type=r.resource_type,
                urn=r.urn,
                name=r.name,
                props=to_plain(r.props),
                parent=r.parent.urn if r.parent is not None else "",
                provider_props=_provider_props(r.provider),
                delete_before_replace=r.opts.delete_before_replace if r.opts else None,
            )
            for r in args.resources
        ]
        for message, urn in check(resources, with_defaults(props_schema, args.get_config())):
            report(message, urn or None)

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        config_schema=_schema(props_schema),
    )
