"""The one loader: a stack's config map, as Pulumi hands it over, into a `StackSpec`.

Secrets are recognised through the SDK's public `pulumi.runtime.config.is_config_secret`.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from pydantic import ValidationError

from infra.config.errors import TOP_LEVEL_KEYS, ConfigError, first_error
from infra.config.shared import PROJECT, PROVIDER_NAMESPACES, stack_file
from infra.config.stack import StackSpec


def parse_stack(
    stack: str,
    values: Mapping[str, Any],
    *,
    file: str | None = None,
    secret_keys: Collection[str] | None = None,
) -> StackSpec:
    """Validate the stack's config map (full keys such as `servestack:servers`).

    With `secret_keys` (the keys holding `secure:` values), secrets must not be plain text.
    """
    file = file or stack_file(stack)
    project_values: dict[str, Any] = {}
    for full_key, value in values.items():
        namespace, sep, key = full_key.partition(":")
        if not sep or not key:
            raise ConfigError(file, full_key, "config keys take the form namespace:key")
        if namespace == PROJECT:
            project_values[key] = value
        elif namespace not in PROVIDER_NAMESPACES:
            allowed = ", ".join(sorted({PROJECT, *PROVIDER_NAMESPACES}))
            raise ConfigError(
                file, full_key, f"unknown namespace {namespace!r}; allowed: {allowed}"
            )
    for key in project_values:
        if key in TOP_LEVEL_KEYS:
            raise ConfigError(file, f"{PROJECT}:{key}", "unknown key")
    try:
        spec = StackSpec.model_validate(
            {
                **project_values,
                "stack": stack,
                "gcp_project": values.get("gcp:project"),
                "gcp_region": values.get("gcp:region"),
            }
        )
    except ValidationError as error:
        raise first_error(file, error, StackSpec) from None
    if secret_keys is not None:
        _check_plaintext_secrets(file, spec, secret_keys)
    return spec


def _check_plaintext_secrets(file: str, spec: StackSpec, secret_keys: Collection[str]) -> None:
    """A password written in plain text would sit in git: it must be a `secure:` value."""
    local = spec.local
    plain = f"{PROJECT}:local" not in secret_keys
    if local is not None and local.registry_password is not None and plain:
        raise ConfigError(
            file,
            f"{PROJECT}:local.registryPassword",
            "must be a secure value (pulumi config set --secret --path "
            "'local.registryPassword' ...)",
        )


def load_from_pulumi() -> StackSpec:
    """Build the spec from the running program's `pulumi.Config`, as the engine set it."""
    import pulumi

    stack = pulumi.get_stack()
    raw = _all_config()
    return parse_config(stack, raw, file=stack_file(stack), secret_keys=_secret_keys(raw))


def parse_config(
    stack: str, raw: Mapping[str, str], *, file: str, secret_keys: Collection[str]
) -> StackSpec:
    """Validate config as the engine hands it over: string values, objects as JSON."""
    _check_secret_keys(file, secret_keys)
    values = {key: decode_config_value(value) for key, value in sorted(raw.items())}
    return parse_stack(stack, values, file=file, secret_keys=secret_keys)


def _all_config() -> dict[str, str]:
    from pulumi.runtime import config as runtime_config

    return dict(runtime_config.CONFIG.get())


def _secret_keys(config: Mapping[str, str]) -> list[str]:
    """The config keys the engine marked secret, asked through the SDK's public API."""
    from pulumi.runtime.config import is_config_secret

    return sorted(key for key in config if is_config_secret(key))


# Keys whose values may be `secure:`; anything else that is secret is rejected so
# secrets never leak into plain resource inputs.
SECRET_CAPABLE_KEYS = frozenset({f"{PROJECT}:local"})


def _check_secret_keys(file: str, keys: Collection[str]) -> None:
    for key in keys:
        if key.startswith(f"{PROJECT}:") and key not in SECRET_CAPABLE_KEYS:
            raise ConfigError(
                file,
                key,
                "must not be a secure value; only servestack:local.registryPassword is",
            )


def decode_config_value(raw: str) -> Any:
    """Pulumi hands object values over as JSON strings, scalars as plain strings."""
    stripped = raw.strip()
    if stripped[:1] in {"{", "["}:
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            return raw
    return raw
