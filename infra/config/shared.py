"""Names and value types shared by every section of the stack file.

`Strict` is the base of every stack-file model; the annotated string types carry the
patterns the config reference names (docs/config-reference.md).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.alias_generators import to_camel

PROJECT = "servestack"
STACK_CONFIG_DIR = "stacks"
# Provider namespaces a stack file may set besides the project's own.
PROVIDER_NAMESPACES = frozenset({"gcp", "kubernetes", "docker-build", "pulumi"})


def stack_file(stack: str) -> str:
    """Path of a stack's file relative to the project root, as Pulumi resolves it."""
    return f"{STACK_CONFIG_DIR}/Pulumi.{stack}.yaml"


DnsLabel = Annotated[
    str, StringConstraints(pattern=r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$", max_length=40)
]
Cidr = Annotated[str, StringConstraints(pattern=r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$")]
CPU_PATTERN = r"^(\d+(\.\d+)?|\d+m)$"
CpuQuantity = Annotated[
    str,
    BeforeValidator(
        lambda v: str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
    ),
    StringConstraints(pattern=CPU_PATTERN),
    # The stack file may write cores as a bare number (cpu: 2); the loader reads it as "2".
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": CPU_PATTERN},
                {"type": "number", "exclusiveMinimum": 0},
            ]
        }
    ),
]
# A value the stack file must hold as a Pulumi secret: `key: {secure: <ciphertext>}`.
SECURE_VALUE_SCHEMA = {
    "type": "object",
    "properties": {"secure": {"type": "string", "description": "Ciphertext Pulumi decrypts."}},
    "required": ["secure"],
    "additionalProperties": False,
}
MemoryQuantity = Annotated[str, StringConstraints(pattern=r"^\d+(Ki|Mi|Gi|Ti)$")]


def _rfc3339(value: str) -> str:
    """GKE takes maintenance times as RFC 3339 date-times; a bare date or free text fails late."""
    shape = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"
    try:
        valid = bool(re.fullmatch(shape, value)) and bool(datetime.fromisoformat(value))
    except ValueError:
        valid = False
    if not valid:
        raise ValueError(f"must be an RFC 3339 time such as 2026-01-03T02:00:00Z (got {value!r})")
    return value


Rfc3339 = Annotated[str, AfterValidator(_rfc3339)]
IamRole = Annotated[str, StringConstraints(pattern=r"^roles/[A-Za-z][A-Za-z0-9_.]*$")]
LabelValue = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([-_a-z0-9]{0,61}[a-z0-9])?$")]


class Strict(BaseModel):
    """Base of every stack-file model: camelCase keys, unknown keys rejected."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        # Field docstrings become descriptions: the source of docs/config-reference.md.
        use_attribute_docstrings=True,
    )


class StackLabels(Strict):
    """Labels carried by every GCP resource that takes labels and every Kubernetes object."""

    team: LabelValue
    """Owning team, put on every labelled resource for ownership and cost reports."""
    env: LabelValue
    """Environment name (dev, staging, prod, ...) put on every labelled resource."""
    cost_center: LabelValue = Field(alias="cost-center")
    """Cost center billed for the stack's resources (label key `cost-center`)."""

    def as_dict(self) -> dict[str, str]:
        return {"team": self.team, "env": self.env, "cost-center": self.cost_center}
