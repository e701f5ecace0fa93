"""The one error a bad stack file ends in, and how a pydantic error becomes that one line.

`first_error` turns the first pydantic error into `file: servestack:a.b[0].c: message`;
cross-field checks raise `KeyedError`, which already knows its dotted key.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError

from infra.config.shared import PROJECT

# Longest key and message an error line carries; user text beyond is cut with "...".
KEY_LIMIT = 120
MESSAGE_LIMIT = 300
# Errors listed one line each before the rest are summed up as "and K more".
MAX_LINES = 3


def escape(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """User text fit for one terminal line: control and format characters escaped, capped.

    A newline would split the line, an escape sequence colour or move the cursor, a bidi
    override reorder what the reader sees, a no-break space hide in plain sight; each
    becomes a visible \\xNN or \\uNNNN.
    """
    out: list[str] = []
    for char in text:
        # Not printable: control, format, separator (other than space), private or unassigned.
        if not char.isprintable():
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    escaped = "".join(out)
    return escaped if len(escaped) <= limit else escaped[: limit - 3] + "..."


class ConfigError(Exception):
    """User-facing description of a bad stack file: one line per error, at most a few.

    `file`, `key` and `message` describe the first error; `more` holds the lines of the
    next ones and `hidden` counts those left out ("and K more").
    """

    def __init__(
        self, file: str, key: str, message: str, *, more: tuple[str, ...] = (), hidden: int = 0
    ) -> None:
        self.file = escape(file, KEY_LIMIT)
        self.key = escape(key, KEY_LIMIT)
        self.message = escape(message)
        self.more = more
        self.hidden = hidden
        first = (
            f"{self.file}: {self.key}: {self.message}" if key else f"{self.file}: {self.message}"
        )
        self.first_line = first
        lines = [first, *more] + ([f"and {hidden} more"] if hidden else [])
        super().__init__("\n".join(lines))


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


def first_error(
    file: str,
    error: ValidationError,
    root: type[BaseModel],
    secret_roots: frozenset[str] = frozenset(),
) -> ConfigError:
    """The errors of validating `root` (the StackSpec): the first few lines, then a count.

    Below a key in `secret_roots` (a key the engine holds as secret) no input is shown.
    """
    details = error.errors(include_url=False)
    first = _one_error(file, details[0], root, secret_roots)
    rest = [_one_error(file, d, root, secret_roots).first_line for d in details[1:]]
    shown = tuple(dict.fromkeys(line for line in rest if line != first.first_line))
    return ConfigError(
        file,
        first.key,
        first.message,
        more=shown[: MAX_LINES - 1],
        hidden=max(0, len(shown) - (MAX_LINES - 1)),
    )


def _one_error(
    file: str, detail: Any, root: type[BaseModel], secret_roots: frozenset[str]
) -> ConfigError:
    loc = tuple(detail["loc"])
    if _is_secret(root, loc) or (loc and str(loc[0]) in secret_roots):
        # A secret's value never reaches an error line, whatever pydantic put in it.
        detail = {**detail, "input": "[secret]"}
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


def _is_secret(root: type[BaseModel], loc: tuple[int | str, ...]) -> bool:
    """Whether `loc` is, or lies inside, a field typed as a secret."""
    for depth in range(1, len(loc) + 1):
        parent = _model_at(root, loc[: depth - 1])
        part = loc[depth - 1]
        if parent is None or isinstance(part, int):
            continue
        field = next((f for n, f in parent.model_fields.items() if part in (n, f.alias)), None)
        if field is not None and _mentions(field.annotation, SecretStr):
            return True
    return False


def _mentions(annotation: Any, wanted: type) -> bool:
    if annotation is wanted:
        return True
    return any(_mentions(arg, wanted) for arg in getattr(annotation, "__args__", ()) or ())


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
    return escape(repr(value), limit)
