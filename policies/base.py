"""Turn pure check functions into pulumi-policy objects.

Rules are plain functions over plain data (see `values.to_plain`); this module is the only
place that adapts them to the SDK's `ResourceValidationPolicy` / `StackValidationPolicy`,
so the real CLI and the offline engine run exactly the same code.

A plain view is made once per SDK property object and shared by every policy that is handed
the same object: the offline engine hands one object per resource to all policies, which
keeps evaluation linear in resources plus policies. Rules never mutate what they are given.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    PolicyProviderResource,
    PolicyResource,
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


class _Memo:
    """Values computed once per live object, forgotten when the object is collected.

    Keyed by identity (SDK proxies are unhashable Mappings); the weak reference both checks
    that an id still names the same object and drops the entry when it does not.
    """

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[weakref.ref[Any], Any]] = {}

    def get(self, obj: Any, build: Callable[[Any], Any]) -> Any:
        key = id(obj)
        hit = self._by_id.get(key)
        if hit is not None and hit[0]() is obj:
            return hit[1]
        value = build(obj)

        def forget(_gone: weakref.ref[Any]) -> None:
            self._by_id.pop(key, None)

        try:
            ref = weakref.ref(obj, forget)
        except TypeError:  # not weakly referenceable: nothing to share
            return value
        self._by_id[key] = (ref, value)
        return value


_PLAIN = _Memo()
_RESOURCES = _Memo()


def plain_props(props: Any) -> Any:
    """`to_plain(props)`, made once per property object."""
    return _PLAIN.get(props, to_plain)


def _provider_props(provider: PolicyProviderResource | None) -> dict[str, Any]:
    if provider is None:
        return {}
    props = plain_props(provider.props)
    return props if isinstance(props, dict) else {}


def _stack_member(resource: PolicyResource) -> Resource:
    return Resource(
        type=resource.resource_type,
        urn=resource.urn,
        name=resource.name,
        props=plain_props(resource.props),
        parent=resource.parent.urn if resource.parent is not None else "",
        provider_props=_provider_props(resource.provider),
        delete_before_replace=resource.opts.delete_before_replace if resource.opts else None,
    )


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
            props=plain_props(args.props),
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
        resources = [_RESOURCES.get(r, _stack_member) for r in args.resources]
        for message, urn in check(resources, with_defaults(props_schema, args.get_config())):
            report(message, urn or None)

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        config_schema=_schema(props_schema),
    )
