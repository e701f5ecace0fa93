"""The one loader: a stack's config map, as Pulumi hands it over, into a `StackSpec`.

Secrets are recognised through the SDK's public `pulumi.runtime.config.is_config_secret`.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from pydantic import ValidationError

from infra.config.errors import TOP_LEVEL_KEYS, ConfigError, escape, first_error
from infra.config.shared import MAX_SAFE_INT, PROJECT, PROVIDER_NAMESPACES, stack_file
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
        _check_text(file, str(full_key), str(full_key), "key")
        _check_plain_data(file, str(full_key), value, 0)
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
        hidden = frozenset(
            k.partition(":")[2] for k in secret_keys or () if k.startswith(f"{PROJECT}:")
        )
        raise first_error(file, error, StackSpec, hidden) from None
    if secret_keys is not None:
        _check_plaintext_secrets(file, spec, secret_keys)
    return spec


# Bounds on any value before the typed models see it (they bound each field further).
MAX_TEXT = 4096
MAX_NESTING = 32
# Characters no stack-file text may hold: C0 controls, DEL, C1 controls, and the bidi
# and line separators that would split or reorder an error line or a manifest.
_FORBIDDEN = frozenset(
    [*map(chr, range(0x20)), *map(chr, range(0x7F, 0xA0)), "\u2028", "\u2029"]
    + [chr(c) for c in (0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))]
)


def _check_plain_data(file: str, key: str, value: Any, depth: int) -> None:
    """Every string printable and bounded, every integer exact as a double, nesting bounded."""
    if depth > MAX_NESTING:
        raise ConfigError(file, key, f"nested deeper than {MAX_NESTING} levels")
    if isinstance(value, str):
        _check_text(file, key, value, "value")
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            raise ConfigError(file, key, f"integer out of range (at most {MAX_SAFE_INT})")
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ConfigError(file, key, "must be a finite number")
    elif isinstance(value, dict):
        for sub_key, sub_value in value.items():
            _check_text(file, f"{key}.{sub_key}", str(sub_key), "key")
            _check_plain_data(file, f"{key}.{sub_key}", sub_value, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_plain_data(file, f"{key}[{index}]", item, depth + 1)


def _check_text(file: str, key: str, text: str, what: str) -> None:
    bad = next((c for c in text if c in _FORBIDDEN), None)
    if bad is not None:
        raise ConfigError(file, key, f"{what} holds control character {escape(bad)}")
    if len(text) > MAX_TEXT:
        raise ConfigError(file, key, f"{what} is longer than {MAX_TEXT} characters")


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
    try:
        values = {key: decode_config_value(value) for key, value in sorted(raw.items())}
    except RecursionError:
        raise ConfigError(
            file, "", f"a config value is nested deeper than {MAX_NESTING} levels"
        ) from None
    return parse_stack(stack, values, file=file, secret_keys=secret_keys)


def _all_config() -> dict[str, str]:
    from pulumi.runtime import config as runtime_config

    return dict(runtime_config.CONFIG.get())


def _secret_keys(config: Mapping[str, str]) -> list[str]:
    """The config keys the engine marked secret, asked through the SDK's public API."""
    from pulumi.runtime.config import is_config_secret

    return sorted(key for key in config if is_config_secret(key))


# Values that may (or must) be `secure:`, by dotted path. Provider keys: pulumi-gcp 10.2
# wraps `accessToken` as a secret (pulumi_gcp/provider.py:3184, additional_secret_outputs
# at :3409); `gcp:credentials` (a key file) and `kubernetes:kubeconfig` (may embed tokens)
# hold key material, so they may be secret too. `gcp:project`, `gcp:region` and every
# other key are plain inputs: a secret there would reach clear-text resource inputs.
SECRET_PATHS = frozenset(
    {
        f"{PROJECT}:local.registryPassword",
        "gcp:credentials",
        "gcp:accessToken",
        "kubernetes:kubeconfig",
    }
)
# Top-level keys the engine may hold as secret (a `--path` secret marks its whole key).
SECRET_CAPABLE_KEYS = frozenset(path.split(".", 1)[0] for path in SECRET_PATHS)


def _check_secret_keys(file: str, keys: Collection[str]) -> None:
    for key in keys:
        if key not in SECRET_CAPABLE_KEYS:
            allowed = ", ".join(sorted(SECRET_PATHS))
            raise ConfigError(
                file, key, f"must not be a secure value; secure values go only on {allowed}"
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
