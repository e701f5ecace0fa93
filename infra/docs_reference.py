"""The stack-file reference in Markdown, generated from the StackSpec models.

The models and their field docstrings are the one source of truth; a test keeps the
committed docs/config-reference.md equal to this output, so the reference cannot drift.
Regenerate it with `python -m infra.docs_reference > docs/config-reference.md`.
"""

from __future__ import annotations

import enum
import json
import sys
import types
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Union

import annotated_types
import yaml
from pydantic import BaseModel, SecretStr, StringConstraints
from pydantic.fields import FieldInfo

from infra.config import (
    PROJECT,
    Cidr,
    CpuQuantity,
    DnsLabel,
    LabelValue,
    MemoryQuantity,
    StackSpec,
)
from infra.config.shared import (
    AbsolutePath,
    FreeText,
    GcpProjectId,
    ImageRef,
    Quantity,
    RepoPath,
    ServiceAccountEmail,
)

COMMAND = "python -m infra.docs_reference > docs/config-reference.md"
REFERENCE_FILE = "docs/config-reference.md"

# Constrained string types named in the tables instead of their regular expressions.
NAMED_STRINGS: tuple[tuple[str, Any], ...] = (
    ("CIDR", Cidr),
    ("CPU quantity", CpuQuantity),
    ("memory quantity", MemoryQuantity),
    ("DNS label", DnsLabel),
    ("label value", LabelValue),
    ("GCP project id", GcpProjectId),
    ("quantity", Quantity),
    ("image reference", ImageRef),
    ("service account email", ServiceAccountEmail),
    ("text", FreeText),
    ("repository path", RepoPath),
    ("absolute path", AbsolutePath),
)

# StackSpec fields filled from the provider namespace, in the order they are documented.
PROVIDER_KEYS: tuple[tuple[str, str], ...] = (
    ("gcp:project", "gcp_project"),
    ("gcp:region", "gcp_region"),
)
# StackSpec fields that are not `servestack:` keys (the stack name comes from the file name).
NOT_PROJECT_KEYS = frozenset({"stack", *(name for _, name in PROVIDER_KEYS)})


@dataclass(frozen=True)
class Row:
    """One table row: a key, its value type, its default and what it means."""

    path: str
    type: str
    default: str
    meaning: str


def _constraints(alias: Any) -> tuple[Any, ...]:
    return typing.get_args(alias)[1:]


def _unwrap(annotation: Any, metadata: Sequence[Any]) -> tuple[Any, list[Any]]:
    """Strip `Annotated[...]` layers, collecting their constraints with the field's own."""
    found = list(metadata)
    while typing.get_origin(annotation) is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        found += extra
        annotation = base
    flat: list[Any] = []
    for item in found:
        flat += item.metadata if isinstance(item, FieldInfo) else [item]
    return annotation, flat


def _bounds(metadata: Sequence[Any]) -> str:
    low = next((m.ge for m in metadata if isinstance(m, annotated_types.Ge)), None)
    high = next((m.le for m in metadata if isinstance(m, annotated_types.Le)), None)
    if low is not None and high is not None:
        return f"{low} to {high}"
    if low is not None:
        return f"at least {low}"
    if high is not None:
        return f"at most {high}"
    return ""


def _string(metadata: Sequence[Any]) -> str:
    constraints = [m for m in metadata if isinstance(m, StringConstraints)]
    for name, alias in NAMED_STRINGS:
        if constraints and tuple(constraints) == _constraints(alias):
            return name
    patterns = [c.pattern for c in constraints if c.pattern]
    return f"string matching `{patterns[0]}`" if patterns else "string"


def _non_none(annotation: Any) -> list[Any]:
    return [a for a in typing.get_args(annotation) if a is not type(None)]


def type_name(annotation: Any, metadata: Sequence[Any] = (), *, item: bool = False) -> str:
    """A reader's name for a field type: `int, 1 to 16`, `one of A, B`, `list of CIDR`.

    `item` names the items of a list, whose bounds then read `int (each at least 1)`.
    """
    annotation, metadata = _unwrap(annotation, metadata)
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        return " or ".join(type_name(arg, item=item) for arg in _non_none(annotation))
    if origin is Literal:
        return "one of " + ", ".join(f"`{value}`" for value in typing.get_args(annotation))
    if origin is list:
        (entry,) = typing.get_args(annotation)
        low = next((m.min_length for m in metadata if isinstance(m, annotated_types.MinLen)), 0)
        at_least = f", at least {low} {'item' if low == 1 else 'items'}" if low else ""
        return f"list of {_plural(type_name(entry, item=True))}{at_least}"
    if origin is dict:
        key, value = typing.get_args(annotation)
        return f"map of {type_name(key)} to {type_name(value)}"
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return "one of " + ", ".join(f"`{member.value}`" for member in annotation)
        if issubclass(annotation, BaseModel):
            return "object"
        if issubclass(annotation, bool):
            return "bool"
        if issubclass(annotation, int):
            bounds = _bounds(metadata)
            if not bounds:
                return "int"
            return f"int (each {bounds})" if item else f"int, {bounds}"
        if issubclass(annotation, float):
            bounds = _bounds(metadata)
            return f"number, {bounds}" if bounds else "number"
        if issubclass(annotation, SecretStr):
            return "string (secret)"
        if issubclass(annotation, str):
            return _string(metadata)
    raise TypeError(f"no reference name for type {annotation!r}")


def _plural(name: str) -> str:
    return "objects" if name == "object" else name


def _default_value(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, BaseModel):
        dumped = value.model_dump(mode="json", by_alias=True)
        return "`{}`" if value == type(value)() else f"`{json.dumps(dumped, sort_keys=True)}`"
    if isinstance(value, str):
        # Quoted where YAML would read the bare text as a number, date, bool or null.
        plain = bool(value) and yaml.safe_load(value) == value
        return f"`{value}`" if plain else f"`{json.dumps(value)}`"
    return f"`{json.dumps(value, sort_keys=True)}`"


def default_text(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    return _default_value(field.get_default(call_default_factory=True))


def _model_of(annotation: Any) -> tuple[type[BaseModel], str] | None:
    """The model a field holds and the path suffix its keys take (`[]` for list items)."""
    annotation, _ = _unwrap(annotation, ())
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        found = [_model_of(arg) for arg in _non_none(annotation)]
        return next((f for f in found if f is not None), None)
    if origin is list:
        inner = _model_of(typing.get_args(annotation)[0])
        return None if inner is None else (inner[0], "[]" + inner[1])
    if origin is dict:
        inner = _model_of(typing.get_args(annotation)[1])
        return None if inner is None else (inner[0], ".<key>" + inner[1])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, ""
    return None


def _key(name: str, field: FieldInfo) -> str:
    return field.alias or name


def field_rows(path: str, field: FieldInfo) -> list[Row]:
    """The row of a field, followed by the rows of the keys nested under it."""
    meaning = " ".join((field.description or "").split())
    rows = [Row(path, type_name(field.annotation, field.metadata), default_text(field), meaning)]
    nested = _model_of(field.annotation)
    if nested is not None:
        model, suffix = nested
        for name, child in model.model_fields.items():
            rows += field_rows(f"{path}{suffix}.{_key(name, child)}", child)
    return rows


def models(root: type[BaseModel] = StackSpec) -> list[type[BaseModel]]:
    """Every model reachable from `root`, root first, each once, in field order."""
    seen: list[type[BaseModel]] = []

    def visit(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.append(model)
        for field in model.model_fields.values():
            nested = _model_of(field.annotation)
            if nested is not None:
                visit(nested[0])

    visit(root)
    return seen


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def table(rows: Sequence[Row]) -> Iterator[str]:
    yield "| Key | Type | Default | Meaning |"
    yield "| --- | --- | --- | --- |"
    for row in rows:
        cells = (f"`{row.path}`", row.type, row.default, row.meaning)
        yield "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def _provider_rows() -> list[Row]:
    fields = StackSpec.model_fields
    return [
        Row(
            key,
            type_name(fields[name].annotation, fields[name].metadata),
            "required for GKE stacks",
            fields[name].description or "",
        )
        for key, name in PROVIDER_KEYS
    ]


def _value_types() -> Iterator[str]:
    yield "| Type | Pattern |"
    yield "| --- | --- |"
    for name, alias in NAMED_STRINGS:
        (constraint,) = [c for c in _constraints(alias) if isinstance(c, StringConstraints)]
        limit = f", at most {constraint.max_length} characters" if constraint.max_length else ""
        yield f"| {name} | `{_cell(str(constraint.pattern))}`{limit} |"


def render() -> str:
    """The whole reference document, byte for byte what docs/config-reference.md holds."""
    lines = [
        "# Stack file reference",
        "",
        f"<!-- Generated from infra/config/ by `{COMMAND}`; do not edit. -->",
        "",
        "Every key a stack file (`stacks/Pulumi.<stack>.yaml`) may set under `config:`.",
        f"Project keys live in the `{PROJECT}:` namespace; nested keys are written dotted",
        "here, with `[]` for the items of a list. Unknown keys are rejected.",
        "Editors complete and check these keys through the JSON Schema of the stack file,",
        "`docs/stack-file.schema.json` (generated from the same models by",
        "`python -m infra.config.schema`), which each stack file names on its first line.",
        "",
        "## Provider keys",
        "",
        *table(_provider_rows()),
        "",
        "## Value types",
        "",
        *_value_types(),
    ]
    for name, field in StackSpec.model_fields.items():
        if name in NOT_PROJECT_KEYS:
            continue
        key = _key(name, field)
        lines += ["", f"## `{PROJECT}:{key}`", "", *table(field_rows(key, field))]
    return "\n".join(lines) + "\n"


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
