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
    """GKE takes maintenance times as RFC 3339 date-times; a bare date or free text fails late.

    UTC (`Z`) only: GKE returns the times in UTC, so an offset gives a permanent diff
    (pulumi_gcp container ClusterMaintenancePolicy docs), and day-of-week recurrences are
    counted in UTC.
    """
    shape = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z"
    try:
        valid = bool(re.fullmatch(shape, value)) and bool(datetime.fromisoformat(value))
    except ValueError:
        valid = False
    if not valid:
        raise ValueError(
            f"must be an RFC 3339 UTC time such as 2026-01-03T02:00:00Z (got {value!r})"
        )
    return value


Rfc3339 = Annotated[str, AfterValidator(_rfc3339)]
IamRole = Annotated[str, StringConstraints(pattern=r"^roles/[A-Za-z][A-Za-z0-9_.]*$")]
LabelValue = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([-_a-z0-9]{0,61}[a-z0-9])?$")]


# Free text (display names, contexts, metric names): printable, one line, bounded.
# Control and format characters would split or recolour an error line and reach
# manifests verbatim; the loader refuses them in every string anyway (loader.py).
FreeText = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]*$", max_length=253)]

# GCP project id: 6-30 characters, lowercase letters, digits and hyphens, starting with a
# letter and not ending with a hyphen; optionally domain-scoped (example.com:my-project).
# https://cloud.google.com/resource-manager/docs/creating-managing-projects#before_you_begin
GcpProjectId = Annotated[
    str,
    StringConstraints(
        pattern=r"^([a-z0-9][-a-z0-9.]{0,61}[a-z0-9]:)?[a-z][-a-z0-9]{4,28}[a-z0-9]$"
    ),
]

# Kubernetes quantity (k8s.io/apimachinery/pkg/api/resource/quantity.go, the
# <quantity> grammar of its doc comment): a decimal number and an optional binary,
# decimal-SI or exponent suffix. A target value is never negative, so no sign here.
QUANTITY_PATTERN = (
    r"^([0-9]+(\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][-+]?[0-9]+)?$"
)
Quantity = Annotated[str, StringConstraints(pattern=QUANTITY_PATTERN, max_length=64)]

# OCI image reference: [host[:port]/]path[:tag][@sha256:digest], after the grammar of
# github.com/distribution/reference regexp.go (path components of lowercase alphanumerics
# joined by . _ __ or -; tags of up to 128 word characters, . and -; a 64-hex digest).
_OCI_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
_OCI_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_OCI_HOST = rf"(?:{_OCI_LABEL}(?:\.{_OCI_LABEL})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
IMAGE_PATTERN = (
    rf"^(?:{_OCI_HOST}/)?{_OCI_COMPONENT}(?:/{_OCI_COMPONENT})*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$"
)
ImageRef = Annotated[str, StringConstraints(pattern=IMAGE_PATTERN, max_length=512)]

# Google service account email (user-managed <id>@<project>.iam.gserviceaccount.com, or a
# Google-managed one such as <number>-compute@developer.gserviceaccount.com).
ServiceAccountEmail = Annotated[
    str,
    StringConstraints(
        pattern=r"^[a-z0-9][-a-z0-9]{0,62}@[a-z0-9][-a-z0-9.]{0,62}\.gserviceaccount\.com$"
    ),
]

# Model versions are int64 in TF Serving, but numbers cross protobuf Struct (and JSON) as
# doubles, exact only up to 2^53: bound every integer there so none is silently rounded.
MAX_SAFE_INT = 2**53 - 1


# A path the stack file names: relative to the project root (checked to stay inside it by
# infra/config/paths.py), one line, bounded.
RepoPath = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]+$", max_length=1024)]
# An absolute directory outside the repository a stack file allows paths to lie in.
AbsolutePath = Annotated[str, StringConstraints(pattern=r"^/[^\x00-\x1f\x7f]*$", max_length=1024)]


class Strict(BaseModel):
    """Base of every stack-file model: camelCase keys, unknown keys rejected."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        # Field docstrings become descriptions: the source of docs/config-reference.md.
        use_attribute_docstrings=True,
        # Never echo an input value in pydantic's own rendering of an error: it may be a
        # secret. Error lines are built in errors.py, which hides secret fields' inputs.
        hide_input_in_errors=True,
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
