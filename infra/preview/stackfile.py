"""Read a stack file the way the Pulumi CLI hands it to a program.

The CLI passes every config value as a string (objects as JSON) and decrypts `secure:`
values. Offline there is no secrets provider, so secure values become a fixed placeholder
that stays marked secret.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.config import STACK_CONFIG_DIR, ConfigError, StackSpec, parse_config, stack_file
from infra.config.errors import escape
from infra.preview.bounded_yaml import MAX_FILE_BYTES, YamlLimitError, load_bounded
from infra.preview.secure import provider_problem, secure_problem

SECRET_PLACEHOLDER = "[secret]"
_STACK_FILE_KEYS = {"config", "encryptionsalt", "secretsprovider", "encryptedkey", "environment"}


@dataclass(frozen=True)
class StackConfig:
    """A stack's config as the engine would set it: flat string values plus secret keys."""

    stack: str
    file: str
    values: dict[str, str]
    secret_keys: tuple[str, ...]


SAFE_ORDER = ("local", "dev", "staging", "prod")


def safe_order(stacks: Iterable[str]) -> list[str]:
    """Known environments first, least critical first; unknown stacks after, by name."""
    rank = {name: index for index, name in enumerate(SAFE_ORDER)}
    return sorted(dict.fromkeys(stacks), key=lambda s: (rank.get(s, len(SAFE_ORDER)), s))


def available_stacks(root: Path) -> list[str]:
    """Stack names with a file in `stacks/` under `root` (any ref's tree), in safe order."""
    files = (root / STACK_CONFIG_DIR).glob("Pulumi.*.yaml")
    return safe_order(p.name[len("Pulumi.") : -len(".yaml")] for p in files)


def read_stack_config(root: Path, stack: str, path: Path | None = None) -> StackConfig:
    file = stack_file(stack) if path is None else str(path)
    source = (root / file) if path is None else path
    if not source.is_file():
        raise ConfigError(file, "", "stack file not found")
    try:
        if source.stat().st_size > MAX_FILE_BYTES:
            raise ConfigError(file, "", f"larger than {MAX_FILE_BYTES // 1024} KiB")
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(file, "", f"not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise ConfigError(file, "", f"cannot read: {error.strerror}") from None
    try:
        document = load_bounded(text)  # a SafeLoader with limits
    except YamlLimitError as error:
        raise ConfigError(file, "", f"refused YAML: {error}") from None
    except RecursionError:
        raise ConfigError(file, "", "refused YAML: nested too deeply") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(file, "", f"malformed YAML: {where}{escape(problem)}") from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(file, "", "must be a mapping with a top-level `config:` key")
    for key in document:
        if key not in _STACK_FILE_KEYS:
            raise ConfigError(
                file,
                escape(str(key)),
                f"unknown top-level key; allowed: {', '.join(sorted(_STACK_FILE_KEYS))}",
            )
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigError(file, "config", "must be a mapping of namespace:key to value")
    problem = provider_problem(document)
    if problem is not None:
        raise ConfigError(file, *problem)
    values: dict[str, str] = {}
    secrets: list[str] = []
    for key, value in config.items():
        key = str(key)
        has_secret, plain = _strip_secure(value, key, file)
        values[key] = _as_config_string(plain)
        if has_secret:
            secrets.append(key)
    return StackConfig(stack=stack, file=file, values=values, secret_keys=tuple(sorted(secrets)))


def load_spec(root: Path, stack: str) -> StackSpec:
    """Validate a stack file offline (the same validation the program runs)."""
    return load_config_spec(read_stack_config(root, stack))


def _strip_secure(value: Any, path: str, file: str) -> tuple[bool, Any]:
    """Replace each `secure:` value by the placeholder, refusing it where no secret belongs."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            problem = secure_problem(path, value["secure"])
            if problem is not None:
                raise ConfigError(file, escape(path), problem)
            return True, SECRET_PLACEHOLDER
        found = False
        out: dict[str, Any] = {}
        for k, v in value.items():
            secret, out[str(k)] = _strip_secure(v, f"{path}.{k}", file)
            found = found or secret
        return found, out
    if isinstance(value, list):
        items = [_strip_secure(v, f"{path}[{i}]", file) for i, v in enumerate(value)]
        return any(s for s, _ in items), [v for _, v in items]
    return False, value


def _as_config_string(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def load_config_spec(config: StackConfig) -> StackSpec:
    """Validate an already-read stack config."""
    return parse_config(
        config.stack, config.values, file=config.file, secret_keys=config.secret_keys
    )
