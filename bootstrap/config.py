"""The bootstrap stack file, typed: `bootstrap/stacks/Pulumi.<name>.yaml`.

Same conventions as the servestack stack files (infra/config.py): strict, frozen, camelCase
models, and one error line naming the file and the dotted key. What the bootstrap prepares
for each servestack stack (its project, APIs, keys) is read from the servestack stack files
themselves (bootstrap/targets.py), so this file holds only what they cannot say.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from pydantic.alias_generators import to_camel

from infra.config import ConfigError

PROJECT = "servestack-bootstrap"
STACK_CONFIG_DIR = "bootstrap/stacks"
PROVIDER_NAMESPACES = frozenset({"gcp", "pulumi"})

ProjectId = Annotated[str, StringConstraints(pattern=r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")]
Region = Annotated[str, StringConstraints(pattern=r"^[a-z]+-[a-z]+\d$")]
NumericId = Annotated[str, StringConstraints(pattern=r"^[1-9]\d{0,19}$")]
BucketName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][-a-z0-9_.]{1,61}[a-z0-9]$")]
LabelValue = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([-_a-z0-9]{0,61}[a-z0-9])?$")]
Member = Annotated[str, StringConstraints(pattern=r"^(user|group|serviceAccount|domain):[^\s]+$")]


def stack_file(stack: str) -> str:
    return f"{STACK_CONFIG_DIR}/Pulumi.{stack}.yaml"


class Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        use_attribute_docstrings=True,
    )


class GithubSpec(Strict):
    """The one repository whose workflows may act as the CI service accounts."""

    repository: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$")]
    """owner/name, for the `gh variable set --repo` lines only: names can be re-registered."""
    repository_id: NumericId
    """Immutable numeric id (`gh api repos/OWNER/NAME --jq .id`); the provider pins it."""
    repository_owner_id: NumericId
    """Immutable numeric id of the owner (`gh api repos/OWNER/NAME --jq .owner.id`)."""


class StateSpec(Strict):
    """The Cloud Storage bucket of every stack's state (this one's too, once moved)."""

    bucket: BucketName
    """Globally unique bucket name; `pulumi login gs://<bucket>`."""
    location: str = "EU"
    """Bucket location (multi-region such as EU, or a region)."""
    noncurrent_versions: int = Field(20, ge=1, le=1000)
    """Old versions of each state file kept (Pulumi rewrites one object per update)."""
    noncurrent_days: int = Field(30, ge=1, le=3650)
    """Days an old version is kept before it is deleted."""


class KmsSpec(Strict):
    """The key ring of the Pulumi secrets keys (one key per servestack stack)."""

    location: Region
    """Region of the key ring; Pulumi's gcpkms:// URLs name it."""
    key_ring: Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9_-]{1,63}$")] = "servestack"
    """Key ring name; key rings cannot be deleted, so pick it once."""
    rotation_days: int = Field(90, ge=1, le=365)
    """Automatic rotation period of every key the bootstrap creates."""


class BootstrapSpec(Strict):
    """Everything a bootstrap stack file says (namespace `servestack-bootstrap:`)."""

    stack: str = Field(exclude=True)
    """Bootstrap stack name, from the file name."""
    gcp_project: ProjectId = Field(exclude=True)
    """Home project (`gcp:project`): state bucket, KMS secrets keys, WIF pool, CI accounts."""
    labels: dict[str, LabelValue]
    """Labels on every labelled resource (team, env, cost-center)."""
    github: GithubSpec
    """The repository whose workflows deploy, preview and check drift."""
    state: StateSpec
    """Pulumi state backend bucket."""
    kms: KmsSpec
    """Key ring of the Pulumi secrets keys."""
    stacks: list[Annotated[str, StringConstraints(pattern=r"^[a-z][-a-z0-9]{0,30}$")]] = Field(
        min_length=1
    )
    """servestack stacks (stacks/Pulumi.<name>.yaml) this bootstrap prepares; GKE stacks only."""
    model_publishers: list[Member] = []
    """Who may impersonate the model publisher (`servestack models publish`), e.g. a group."""


def parse_bootstrap(
    stack: str, raw: Mapping[str, str], *, file: str, secret_keys: tuple[str, ...] = ()
) -> BootstrapSpec:
    """Validate the config the engine hands over (strings, objects as JSON) into a spec."""
    if secret_keys:
        raise ConfigError(file, secret_keys[0], "the bootstrap takes no secure values")
    values: dict[str, Any] = {}
    for full_key, value in sorted(raw.items()):
        namespace, sep, key = full_key.partition(":")
        if not sep or not key:
            raise ConfigError(file, full_key, "config keys take the form namespace:key")
        if namespace == PROJECT:
            values[key] = _decode(value)
        elif namespace not in PROVIDER_NAMESPACES:
            allowed = ", ".join(sorted({PROJECT, *PROVIDER_NAMESPACES}))
            raise ConfigError(
                file, full_key, f"unknown namespace {namespace!r}; allowed: {allowed}"
            )
    if "gcp:project" not in raw:
        raise ConfigError(file, "gcp:project", "required: the home project of the bootstrap")
    try:
        return BootstrapSpec.model_validate(
            {**values, "stack": stack, "gcp_project": raw["gcp:project"]}
        )
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        prefix = "gcp:project" if where == "gcp_project" else f"{PROJECT}:{where}"
        raise ConfigError(file, prefix, first["msg"]) from None


def _decode(raw: str) -> Any:
    stripped = raw.strip()
    if stripped[:1] in {"{", "["}:
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            return raw
    return raw
