"""A JSON Schema of the whole stack file, generated from the StackSpec models.

Keys are exactly those a stack file holds: Pulumi's own top-level keys (`config`,
`secretsprovider`, `encryptedkey`, `encryptionsalt`, `environment`, as the CLI's
`ProjectStack` reads them: pulumi/pulumi sdk/go/common/workspace/project.go), and under
`config:` the `servestack:` keys plus the provider keys (`gcp:project`, `gcp:region`, and
any key of the other provider namespaces the loader lets through). The schema checks each
key's shape; the checks across keys stay in Python (infra/config/checks.py). A test keeps
the committed docs/stack-file.schema.json equal to this output; regenerate it with
`python -m infra.config.schema > docs/stack-file.schema.json`.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from infra.config.errors import TOP_LEVEL_KEYS
from infra.config.shared import PROJECT, PROVIDER_NAMESPACES
from infra.config.stack import StackSpec

SCHEMA_FILE = "docs/stack-file.schema.json"
COMMAND = f"python -m infra.config.schema > {SCHEMA_FILE}"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
# StackSpec fields that are provider keys under `config:`.
PROVIDER_KEYS = {"gcp_project": "gcp:project", "gcp_region": "gcp:region"}

# Pulumi's own keys of a stack file besides `config` (ProjectStack in project.go).
PULUMI_KEYS: dict[str, dict[str, Any]] = {
    "secretsprovider": {
        "type": "string",
        "description": "Secrets provider of the stack, e.g. gcpkms://projects/.../cryptoKeys/k.",
    },
    "encryptedkey": {
        "type": "string",
        "description": "The data key for secrets, encrypted by a cloud secrets provider.",
    },
    "encryptionsalt": {
        "type": "string",
        "description": "Salt of a passphrase secrets provider, base64.",
    },
    "environment": {
        "description": "Pulumi ESC environments the stack imports (a list, or a definition).",
        "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}],
    },
}


class _StackFileSchema(GenerateJsonSchema):
    """Pydantic's generator without the per-field titles (the descriptions say more)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A provider key's schema: the field's own, without pydantic's `null` alternative."""
    kept = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    out = {k: v for k, v in schema.items() if k not in {"anyOf", "default"}}
    return {**kept[0], **out} if len(kept) == 1 else out


def stack_file_schema() -> dict[str, Any]:
    """The schema document, keys in the order a reader meets them."""
    generated = StackSpec.model_json_schema(
        by_alias=True, mode="validation", schema_generator=_StackFileSchema
    )
    fields = StackSpec.model_fields
    properties = generated["properties"]
    config: dict[str, Any] = {}
    for name, key in PROVIDER_KEYS.items():
        config[key] = _not_null(properties[fields[name].alias or name])
    required: list[str] = []
    for name, field in fields.items():
        if name in TOP_LEVEL_KEYS:
            continue
        alias = field.alias or name
        config[f"{PROJECT}:{alias}"] = properties[alias]
        if field.is_required():
            required.append(f"{PROJECT}:{alias}")
    others = "|".join(re.escape(ns) for ns in sorted(PROVIDER_NAMESPACES))
    return {
        "$schema": DIALECT,
        "title": "servestack stack file",
        "description": (
            "A stacks/Pulumi.<stack>.yaml file. Checks across keys (a server's node pool "
            "exists, GPU budget, ...) are made by the program; see docs/config-reference.md."
        ),
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "description": "The stack's configuration: servestack and provider keys.",
                "properties": config,
                "patternProperties": {f"^({others}):.+$": {}},
                "additionalProperties": False,
                "required": required,
            },
            **PULUMI_KEYS,
        },
        "required": ["config"],
        "additionalProperties": False,
        "$defs": generated["$defs"],
    }


def render() -> str:
    """The schema as committed: indented, key order kept, one trailing newline."""
    return json.dumps(stack_file_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
