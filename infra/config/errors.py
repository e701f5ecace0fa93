"""The one error a bad stack file ends in, and how a pydantic error becomes that one line.

`first_error` turns the first pydantic error into `file: servestack:a.b[0].c: message`;
cross-field checks raise `KeyedError`, which already knows its dotted key.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from infra.config.shared import PROJECT


class ConfigError(Exception):
    """One-line, user-facing description of a bad stack file."""

    def __init__(self, file: str, key: str, message: str) -> None:
        self.file = file
        self.key = key
        self.message = message
        super().__init__(f"{file}: {key}: {message}" if key else f"{file}: {message}")


class KeyedError(ValueError):
    """A cross-field error that knows the dotted key it belongs to."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(message)


def _dotted(loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic error location into `servestack:a.b[0].c`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not out:
            out = part
        else:
            out += f".{part}"
    return out


# StackSpec fields that are not `servestack:` keys.
TOP_LEVEL_KEYS = frozenset({"stack", "gcp_project", "gcp_region"})
# Error types whose message is clearer with the offending value appended.
_SHOWS_INPUT = frozenset(
    {"literal_error", "enum", "greater_than_equal", "less_than_equal", "too_short", "too_long"}
)


def first_error(file: str, error: ValidationError, root: type[BaseModel]) -> ConfigError:
    """The first error of validating `root` (the StackSpec) as one ConfigError line."""
    detail = error.errors(include_url=False)[0]
    loc = tuple(detail["loc"])
    message = str(detail["msg"])
    ctx = detail.get("ctx") or {}
    original = ctx.get("error")
    if isinstance(original, KeyedError):
        return ConfigError(file, original.key, str(original))
    message = message.removeprefix("Value error, ")
    # Cross-field errors name their sub-key as "key: message".
    sub = re.match(r"^([A-Za-z.\[\]0-9]+): (.*)$", message)
    if sub and detail["type"] == "value_error":
        loc = loc + tuple(sub.group(1).split("."))
        message = sub.group(2)
    if detail["type"] == "extra_forbidden":
        message = "unknown key"
        parent_model = _model_at(root, loc[:-1])
        if parent_model is not None:
            allowed = ", ".join(
                sorted(
                    f.alias or n
                    for n, f in parent_model.model_fields.items()
                    if n not in TOP_LEVEL_KEYS
                )
            )
            message = f"unknown key; allowed: {allowed}"
    elif detail["type"] == "missing":
        message = "required key is missing"
    elif detail["type"] == "string_pattern_mismatch":
        message = f"invalid value {_short(detail['input'])} (must match {ctx.get('pattern')})"
    elif detail["type"] in _SHOWS_INPUT or detail["type"].endswith(("_type", "_parsing")):
        message = f"{message.replace('Input should be', 'must be')} (got {_short(detail['input'])})"
    for raw, plain in (
        ("Input should be", "must be"),
        ("List should have", "must have"),
        ("String should have", "must have"),
        ("Dictionary should have", "must have"),
        ("Value should have", "must have"),
    ):
        message = message.replace(raw, plain)
    if loc and loc[0] in TOP_LEVEL_KEYS:
        key = {"gcp_project": "gcp:project", "gcp_region": "gcp:region"}.get(
            str(loc[0]), str(loc[0])
        )
    else:
        key = f"{PROJECT}:{_dotted(loc)}" if loc else ""
    return ConfigError(file, key, message)


def _model_at(root: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model class found by following an alias path down from `root`."""
    model: Any = root
    for part in loc:
        if isinstance(part, int):
            continue
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            return None
        model = _unwrap_model(field.annotation)
        if model is None:
            return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unwrap_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _unwrap_model(arg)
        if found is not None:
            return found
    return None


def _short(value: Any, limit: int = 60) -> str:
    """A value for an error line: its repr, cut so the line stays one readable line."""
    text = repr(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."
