"""Typed model of a stack file and its one loader.

The stack file is validated once, up front; everything below trusts the resulting
`StackSpec`. Any problem ends in a single `ConfigError` line naming the stack file and
the dotted key path, so a bad file never declares a resource.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

PROJECT = "servestack"
STACK_CONFIG_DIR = "stacks"
# Provider namespaces a stack file may set besides the project's own.
PROVIDER_NAMESPACES = frozenset({"gcp", "kubernetes", "docker-build", "pulumi"})


class ConfigError(Exception):
    """One-line, user-facing description of a bad stack file."""

    def __init__(self, file: str, key: str, message: str) -> None:
        self.file = file
        self.key = key
        self.message = message
        super().__init__(f"{file}: {key}: {message}" if key else f"{file}: {message}")


def stack_file(stack: str) -> str:
    """Path of a stack's file relative to the project root, as Pulumi resolves it."""
    return f"{STACK_CONFIG_DIR}/Pulumi.{stack}.yaml"


DnsLabel = Annotated[
    str, StringConstraints(pattern=r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$", max_length=40)
]
Cidr = Annotated[str, StringConstraints(pattern=r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$")]
CpuQuantity = Annotated[str, StringConstraints(pattern=r"^(\d+(\.\d+)?|\d+m)$")]
MemoryQuantity = Annotated[str, StringConstraints(pattern=r"^\d+(Ki|Mi|Gi|Ti)$")]
LabelValue = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([-_a-z0-9]{0,61}[a-z0-9])?$")]


class Strict(BaseModel):
    """Base of every stack-file model: camelCase keys, unknown keys rejected."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
    )


# --------------------------------------------------------------------------- labels


class StackLabels(Strict):
    """Labels carried by every GCP resource that takes labels and every Kubernetes object."""

    team: LabelValue
    env: LabelValue
    cost_center: LabelValue = Field(alias="cost-center")

    def as_dict(self) -> dict[str, str]:
        return {"team": self.team, "env": self.env, "cost-center": self.cost_center}


# -------------------------------------------------------------------------- cluster


class ReleaseChannel(StrEnum):
    RAPID = "RAPID"
    REGULAR = "REGULAR"
    STABLE = "STABLE"
    EXTENDED = "EXTENDED"
    UNSPECIFIED = "UNSPECIFIED"


class NetworkSpec(Strict):
    """VPC-native networking: a network created for the cluster unless existing ones are named."""

    existing_network: str | None = None
    existing_subnetwork: str | None = None
    subnet_cidr: Cidr = "10.10.0.0/20"
    pods_cidr: Cidr = "10.16.0.0/14"
    services_cidr: Cidr = "10.20.0.0/20"

    @model_validator(mode="after")
    def _existing_pair(self) -> Self:
        if (self.existing_network is None) != (self.existing_subnetwork is None):
            raise ValueError("existingNetwork and existingSubnetwork go together")
        return self


class AuthorizedNetwork(Strict):
    name: str
    cidr: Cidr


class PrivateClusterSpec(Strict):
    enabled: bool = True
    master_cidr: Cidr = "172.16.0.0/28"
    private_endpoint: bool = False


class MaintenanceExclusion(Strict):
    name: str
    start: str
    end: str
    scope: Literal["NO_UPGRADES", "NO_MINOR_UPGRADES", "NO_MINOR_OR_NODE_UPGRADES"] = "NO_UPGRADES"


class MaintenanceSpec(Strict):
    """A recurring window in RFC 5545 RRULE form, with optional exclusions."""

    start: str = "2026-01-03T02:00:00Z"
    end: str = "2026-01-03T08:00:00Z"
    recurrence: str = "FREQ=WEEKLY;BYDAY=SA,SU"
    exclusions: list[MaintenanceExclusion] = []

    @field_validator("recurrence")
    @classmethod
    def _rrule(cls, value: str) -> str:
        if not value.startswith("FREQ="):
            raise ValueError("must be an RFC 5545 RRULE such as FREQ=WEEKLY;BYDAY=SA,SU")
        return value


class ClusterSpec(Strict):
    name: DnsLabel
    location: str
    release_channel: ReleaseChannel = ReleaseChannel.REGULAR
    network: NetworkSpec = NetworkSpec()
    private: PrivateClusterSpec = PrivateClusterSpec()
    master_authorized_networks: list[AuthorizedNetwork] = []
    workload_identity: bool = True
    shielded_nodes: bool = True
    dataplane_v2: bool = True
    managed_prometheus: bool = True
    maintenance: MaintenanceSpec = MaintenanceSpec()
    binary_authorization: bool = False
    secrets_encryption_key: str | None = None
    deletion_protection: bool = True

    @field_validator("location")
    @classmethod
    def _location(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z]+-[a-z]+\d(-[a-z])?", value):
            raise ValueError("must be a GCP region (europe-west4) or zone (europe-west4-a)")
        return value

    @field_validator("secrets_encryption_key")
    @classmethod
    def _kms(cls, value: str | None) -> str | None:
        pattern = r"projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+"
        if value is not None and not re.fullmatch(pattern, value):
            raise ValueError("must be a KMS key id projects/P/locations/L/keyRings/R/cryptoKeys/K")
        return value

    @property
    def regional(self) -> bool:
        return not re.fullmatch(r".+-[a-z]", self.location)


# ------------------------------------------------------------------------ node pools

# Accelerator type -> the machine families that can carry it on GKE.
GPU_MACHINE_FAMILIES: Mapping[str, tuple[str, ...]] = {
    "nvidia-tesla-t4": ("n1",),
    "nvidia-tesla-v100": ("n1",),
    "nvidia-tesla-p4": ("n1",),
    "nvidia-tesla-p100": ("n1",),
    "nvidia-l4": ("g2",),
    "nvidia-tesla-a100": ("a2",),
    "nvidia-a100-80gb": ("a2",),
    "nvidia-h100-80gb": ("a3",),
    "nvidia-h100-mega-80gb": ("a3",),
    "nvidia-h200-141gb": ("a3",),
}


class GpuSharing(Strict):
    strategy: Literal["TIME_SHARING", "MPS"]
    max_shared_clients_per_gpu: int = Field(2, ge=2, le=48)


class GpuSpec(Strict):
    type: str
    count: int = Field(1, ge=1, le=16)
    driver_version: Literal["DEFAULT", "LATEST", "INSTALLATION_DISABLED"] = "LATEST"
    sharing: GpuSharing | None = None

    @field_validator("type")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in GPU_MACHINE_FAMILIES:
            raise ValueError(
                f"unknown GPU type {value!r}; allowed: {', '.join(sorted(GPU_MACHINE_FAMILIES))}"
            )
        return value


class PoolAutoscaling(Strict):
    """Node counts; `perZone` counts per zone of the pool, otherwise totals."""

    min: int = Field(0, ge=0, le=1000)
    max: int = Field(3, ge=1, le=1000)
    per_zone: bool = False
    location_policy: Literal["BALANCED", "ANY"] = "BALANCED"

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.min > self.max:
            raise ValueError(f"min: must be <= max ({self.min} > {self.max})")
        return self


class UpgradeSpec(Strict):
    strategy: Literal["SURGE", "BLUE_GREEN"] = "SURGE"
    max_surge: int = Field(1, ge=0, le=100)
    max_unavailable: int = Field(0, ge=0, le=100)
    blue_green_soak_seconds: int = Field(3600, ge=0)


class TaintSpec(Strict):
    """A Kubernetes taint on every node of a pool; servers placed on the pool tolerate it."""

    key: Annotated[
        str,
        StringConstraints(
            pattern=r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
        ),
    ]
    value: Annotated[
        str, StringConstraints(pattern=r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
    ] = ""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = "NoSchedule"

    @field_validator("key")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == "nvidia.com/gpu":
            raise ValueError("nvidia.com/gpu is set on GPU pools (gpu:) and cannot be set here")
        return value


# GKE node pool names are at most 40 characters; the platform appends "-" and a 6-hex hash.
NODE_POOL_NAME_MAX = 33


class NodePoolSpec(Strict):
    name: DnsLabel
    machine_type: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]*-[-a-z0-9]+$")]
    disk_size_gb: int = Field(100, ge=20, le=65536)
    disk_type: Literal["pd-standard", "pd-balanced", "pd-ssd", "hyperdisk-balanced"] = "pd-balanced"
    spot: bool = False
    autoscaling: PoolAutoscaling = PoolAutoscaling()
    upgrade: UpgradeSpec = UpgradeSpec()
    gpu: GpuSpec | None = None
    service_account: str | None = None
    labels: dict[str, LabelValue] = {}
    taints: list[TaintSpec] = []

    @property
    def machine_family(self) -> str:
        return self.machine_type.split("-", 1)[0]

    @field_validator("name")
    @classmethod
    def _room_for_settings_hash(cls, value: str) -> str:
        if len(value) > NODE_POOL_NAME_MAX:
            raise ValueError(
                f"at most {NODE_POOL_NAME_MAX} characters: the GKE pool name appends "
                f"a 7-character settings hash and GKE allows 40 ({value!r})"
            )
        return value

    @field_validator("taints")
    @classmethod
    def _unique_taints(cls, value: list[TaintSpec]) -> list[TaintSpec]:
        seen = [(t.key, t.effect) for t in value]
        if len(set(seen)) != len(seen):
            raise ValueError("two taints with the same key and effect")
        return value

    @model_validator(mode="after")
    def _gpu_fits_machine(self) -> Self:
        if self.gpu is not None:
            families = GPU_MACHINE_FAMILIES[self.gpu.type]
            if self.machine_family not in families:
                wanted = " or ".join(f"{f}-*" for f in families)
                raise ValueError(
                    f"gpu.type: {self.gpu.type} needs machine type {wanted}, "
                    f"not {self.machine_type}"
                )
        return self

    @property
    def max_gpus(self) -> int:
        """Upper bound of GPUs this pool may hold (per-zone counts are multiplied later)."""
        return 0 if self.gpu is None else self.autoscaling.max * self.gpu.count


# -------------------------------------------------------------------------- registry


class CleanupSpec(Strict):
    keep_recent: int = Field(10, ge=1, le=1000)
    delete_untagged_after_days: int = Field(7, ge=1, le=3650)


class RegistrySpec(Strict):
    repository: DnsLabel = "models"
    immutable_tags: bool = False
    cleanup: CleanupSpec = CleanupSpec()
    protect: bool = False


class LocalSpec(Strict):
    """The `local` flavour: an existing kubeconfig context and a local registry, no GCP."""

    kubeconfig_context: str
    kubeconfig_path: str | None = None
    registry: str = "localhost:5001"
    registry_password: SecretStr | None = None


# -------------------------------------------------------------------------- images


class ImagesSpec(Strict):
    tf_serving_version: Annotated[str, StringConstraints(pattern=r"^2\.\d+\.\d+$")] = "2.19.1"
    platform: Literal["linux/amd64", "linux/arm64"] = "linux/amd64"
    build_on_preview: bool = False
    push: bool = True
    registry_cache: bool = True
    # Real builds refuse a base image without a digest in model_images/base-images.lock.
    allow_unpinned_base: bool = False


# -------------------------------------------------------------------------- serving


class ModelSource(Strict):
    """Where a model's SavedModel versions come from: an export recipe or a path."""

    recipe: Literal["tiny", "inception_v3", "resnet50"] | None = None
    weights: Literal["imagenet", "none"] = "none"
    path: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.recipe is None) == (self.path is None):
            raise ValueError("set exactly one of recipe or path")
        return self


class ModelSpec(Strict):
    name: DnsLabel
    source: ModelSource
    versions: list[Annotated[int, Field(ge=1)]] = Field(min_length=1)
    version_policy: Literal["latest", "all", "specific"] = "specific"
    version_labels: dict[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")], int] = {}
    signature: str = "serving_default"

    @model_validator(mode="after")
    def _labels_point_at_versions(self) -> Self:
        if len(set(self.versions)) != len(self.versions):
            raise ValueError("versions: must not repeat a version")
        for label, version in self.version_labels.items():
            if version not in self.versions:
                raise ValueError(
                    f"versionLabels.{label}: version {version} is not in versions {self.versions}"
                )
        return self


class ResourcesSpec(Strict):
    cpu: CpuQuantity = "1"
    memory: MemoryQuantity = "2Gi"
    gpus: int = Field(0, ge=0, le=16)
    # Extra memory on the limit so two model versions fit during a version swap.
    swap_headroom_percent: int = Field(100, ge=0, le=400)


class CustomMetric(Strict):
    type: Literal["Pods", "External"]
    name: str
    target_average_value: str


class ServerAutoscaling(Strict):
    min: int = Field(1, ge=1, le=1000)
    max: int = Field(3, ge=1, le=1000)
    target_cpu_utilization: int = Field(70, ge=10, le=100)
    metric: CustomMetric | None = None
    scale_down_stabilization_seconds: int = Field(300, ge=0, le=3600)

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.min > self.max:
            raise ValueError(f"min: must be <= max ({self.min} > {self.max})")
        return self


class BatchingSpec(Strict):
    max_batch_size: int = Field(32, ge=1, le=4096)
    batch_timeout_micros: int = Field(2000, ge=0, le=10_000_000)
    max_enqueued_batches: int = Field(100, ge=1)
    num_batch_threads: int = Field(4, ge=1, le=256)


class RolloutSpec(Strict):
    max_surge: int = Field(1, ge=1, le=100)
    max_unavailable: int = Field(0, ge=0, le=100)
    startup_timeout_seconds: int = Field(600, ge=30, le=7200)
    pre_stop_seconds: int = Field(15, ge=0, le=300)
    termination_grace_seconds: int = Field(45, ge=1, le=3600)
    spread_across_zones: bool = True

    @model_validator(mode="after")
    def _grace_covers_pre_stop(self) -> Self:
        if self.termination_grace_seconds <= self.pre_stop_seconds:
            raise ValueError(
                "terminationGraceSeconds: must be > preStopSeconds "
                f"({self.termination_grace_seconds} <= {self.pre_stop_seconds})"
            )
        return self


class CanarySpec(Strict):
    model: DnsLabel | None = None
    version: int = Field(ge=1)
    weight: int = Field(ge=1, le=50)


class ServerSpec(Strict):
    name: DnsLabel
    node_pool: DnsLabel | None = None
    models: list[ModelSpec] = Field(min_length=1)
    resources: ResourcesSpec = ResourcesSpec()
    autoscaling: ServerAutoscaling = ServerAutoscaling()
    batching: BatchingSpec | None = None
    rollout: RolloutSpec = RolloutSpec()
    canary: CanarySpec | None = None
    gcp_service_account: str | None = None
    image: str | None = None

    @model_validator(mode="after")
    def _unique_models(self) -> Self:
        names = [m.name for m in self.models]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise ValueError(f"models[{index}].name: duplicate model name {name!r}")
        if self.canary is not None:
            target = self.canary_model
            if target is None:
                raise ValueError(f"canary.model: no model {self.canary.model!r} in this server")
            if self.canary.version in target.versions and len(target.versions) == 1:
                raise ValueError(
                    f"canary.version: {self.canary.version} is already the served version"
                )
        return self

    @property
    def canary_model(self) -> ModelSpec | None:
        if self.canary is None:
            return None
        wanted = self.canary.model or self.models[0].name
        return next((m for m in self.models if m.name == wanted), None)


class AllowFrom(Strict):
    namespaces: list[DnsLabel] = []
    cidrs: list[Cidr] = []


class ServingSpec(Strict):
    namespace: DnsLabel = "serving"
    expose: Literal["cluster", "internal", "external"] = "cluster"
    source_ranges: list[Cidr] = []
    allow_from: AllowFrom = AllowFrom()
    monitoring: bool = True

    @field_validator("namespace")
    @classmethod
    def _not_default(cls, value: str) -> str:
        if value in {"default", "kube-system", "kube-public"}:
            raise ValueError(f"must not be the {value!r} namespace")
        return value


# ---------------------------------------------------------------------------- stack


class StackSpec(Strict):
    """Everything a stack file says, under the `servestack:` namespace plus gcp keys."""

    stack: str = Field(exclude=True)
    gcp_project: str | None = Field(None, exclude=True)
    gcp_region: str | None = Field(None, exclude=True)

    labels: StackLabels
    kubernetes_version: Annotated[str, StringConstraints(pattern=r"^1\.\d{2}$")]
    cluster: ClusterSpec | None = None
    local: LocalSpec | None = None
    node_pools: list[NodePoolSpec] = []
    gpu_budget: int = Field(0, ge=0, le=4096)
    registry: RegistrySpec = RegistrySpec()
    images: ImagesSpec = ImagesSpec()
    model_store: str = "build/models"
    serving: ServingSpec = ServingSpec()
    servers: list[ServerSpec] = Field(min_length=1)

    @property
    def is_local(self) -> bool:
        return self.local is not None

    def pool(self, name: str | None) -> NodePoolSpec | None:
        return next((p for p in self.node_pools if p.name == name), None)

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        _check_flavour(self)
        _check_pools(self)
        _check_servers(self)
        return self


class _KeyedError(ValueError):
    """A cross-field error that knows the dotted key it belongs to."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(message)


def _check_flavour(spec: StackSpec) -> None:
    if (spec.cluster is None) == (spec.local is None):
        raise _KeyedError("servestack:cluster", "set exactly one of cluster or local")
    if spec.local is not None and spec.node_pools:
        raise _KeyedError("servestack:nodePools", "must be empty for a local stack")
    if spec.cluster is not None:
        if not spec.gcp_project:
            raise _KeyedError("gcp:project", "required for a GKE stack")
        if not spec.gcp_region:
            raise _KeyedError("gcp:region", "required for a GKE stack")
        if not spec.cluster.location.startswith(spec.gcp_region):
            raise _KeyedError(
                "servestack:cluster.location",
                f"must be in gcp:region {spec.gcp_region} (got {spec.cluster.location})",
            )
        if not spec.node_pools:
            raise _KeyedError("servestack:nodePools", "a GKE stack needs at least one pool")


REGIONAL_ZONES = 3


def _check_pools(spec: StackSpec) -> None:
    seen: set[str] = set()
    for index, pool in enumerate(spec.node_pools):
        key = f"servestack:nodePools[{index}]"
        if pool.name in seen:
            raise _KeyedError(f"{key}.name", f"duplicate node pool name {pool.name!r}")
        seen.add(pool.name)
        # Per-zone bounds of a regional pool apply in each of GKE's default three zones.
        zones = (
            REGIONAL_ZONES
            if pool.autoscaling.per_zone and spec.cluster is not None and spec.cluster.regional
            else 1
        )
        if pool.max_gpus * zones > spec.gpu_budget:
            per_zone = f" x {zones} zones" if zones > 1 else ""
            raise _KeyedError(
                f"{key}.autoscaling.max",
                f"pool can hold {pool.max_gpus * zones} GPUs (max {pool.autoscaling.max} x "
                f"{pool.gpu.count if pool.gpu else 0}{per_zone}), more than "
                f"servestack:gpuBudget {spec.gpu_budget}",
            )


def _check_servers(spec: StackSpec) -> None:
    seen: set[str] = set()
    for index, server in enumerate(spec.servers):
        key = f"servestack:servers[{index}]"
        if server.name in seen:
            raise _KeyedError(f"{key}.name", f"duplicate server name {server.name!r}")
        seen.add(server.name)
        if spec.is_local:
            if server.node_pool is not None:
                raise _KeyedError(f"{key}.nodePool", "a local stack has no node pools")
            if server.resources.gpus:
                raise _KeyedError(f"{key}.resources.gpus", "a local stack is CPU only")
            continue
        pool = spec.pool(server.node_pool)
        if pool is None:
            names = ", ".join(p.name for p in spec.node_pools)
            raise _KeyedError(
                f"{key}.nodePool",
                f"unknown node pool {server.node_pool!r}; allowed: {names}",
            )
        if pool.gpu is None and server.resources.gpus:
            raise _KeyedError(f"{key}.resources.gpus", f"node pool {pool.name!r} has no GPU")
        if pool.gpu is not None and not server.resources.gpus:
            raise _KeyedError(
                f"{key}.resources.gpus",
                f"must be >= 1 on GPU node pool {pool.name!r}",
            )
        if pool.gpu is not None and server.resources.gpus > pool.gpu.count:
            raise _KeyedError(
                f"{key}.resources.gpus",
                f"{server.resources.gpus} > {pool.gpu.count} GPUs per node in {pool.name!r}",
            )


# --------------------------------------------------------------------------- loading


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


_TOP_LEVEL_KEYS = {"stack", "gcp_project", "gcp_region"}


def _first_error(file: str, error: ValidationError) -> ConfigError:
    detail = error.errors(include_url=False)[0]
    loc = tuple(detail["loc"])
    message = str(detail["msg"])
    ctx = detail.get("ctx") or {}
    original = ctx.get("error")
    if isinstance(original, _KeyedError):
        return ConfigError(file, original.key, str(original))
    message = message.removeprefix("Value error, ")
    # Cross-field errors name their sub-key as "key: message".
    sub = re.match(r"^([A-Za-z.\[\]0-9]+): (.*)$", message)
    if sub and detail["type"] == "value_error":
        loc = loc + tuple(sub.group(1).split("."))
        message = sub.group(2)
    if detail["type"] == "extra_forbidden":
        message = "unknown key"
        parent_model = _model_at(loc[:-1])
        if parent_model is not None:
            allowed = ", ".join(
                sorted(
                    f.alias or n
                    for n, f in parent_model.model_fields.items()
                    if n not in _TOP_LEVEL_KEYS
                )
            )
            message = f"unknown key; allowed: {allowed}"
    elif detail["type"] == "missing":
        message = "required key is missing"
    elif (
        detail["type"] in {"literal_error", "enum"}
        or detail["type"].endswith("_type")
        or detail["type"].endswith("_parsing")
    ):
        message = f"{message.replace('Input should be', 'must be')} (got {_short(detail['input'])})"
    elif detail["type"] == "string_pattern_mismatch":
        message = f"invalid value {_short(detail['input'])} (must match {ctx.get('pattern')})"
    elif detail["type"] in {"greater_than_equal", "less_than_equal", "too_short", "too_long"}:
        message = f"{message.replace('Input should be', 'must be')} (got {_short(detail['input'])})"
    if loc and loc[0] in _TOP_LEVEL_KEYS:
        key = {"gcp_project": "gcp:project", "gcp_region": "gcp:region"}.get(
            str(loc[0]), str(loc[0])
        )
    else:
        key = f"{PROJECT}:{_dotted(loc)}" if loc else ""
    return ConfigError(file, key, message)


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model class found by following an alias path down from StackSpec."""
    model: Any = StackSpec
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


def parse_stack(
    stack: str,
    values: Mapping[str, Any],
    *,
    file: str | None = None,
) -> StackSpec:
    """Validate the stack's config map (full keys such as `servestack:servers`)."""
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
        if key in _TOP_LEVEL_KEYS:
            raise ConfigError(file, f"{PROJECT}:{key}", "unknown key")
    try:
        return StackSpec.model_validate(
            {
                **project_values,
                "stack": stack,
                "gcp_project": values.get("gcp:project"),
                "gcp_region": values.get("gcp:region"),
            }
        )
    except ValidationError as error:
        raise _first_error(file, error) from None


def load_from_pulumi() -> StackSpec:
    """Build the spec from the running program's `pulumi.Config`, as the engine set it."""
    import pulumi

    stack = pulumi.get_stack()
    file = stack_file(stack)
    values: dict[str, Any] = {}
    for full_key, raw in sorted(_all_config().items()):
        values[full_key] = _decode(raw)
    secret_keys = _secret_keys()
    if secret_keys:
        _check_secret_keys(file, secret_keys)
    return parse_stack(stack, values, file=file)


def _all_config() -> dict[str, str]:
    from pulumi.runtime import config as runtime_config

    return dict(runtime_config.CONFIG.get())


def _secret_keys() -> list[str]:
    from pulumi.runtime import config as runtime_config

    return sorted(runtime_config._SECRET_KEYS.get())


# Keys whose values may be `secure:`; anything else that is secret is rejected so
# secrets never leak into plain resource inputs.
SECRET_CAPABLE_KEYS = frozenset({f"{PROJECT}:local"})


def _check_secret_keys(file: str, keys: list[str]) -> None:
    for key in keys:
        if key.startswith(f"{PROJECT}:") and key not in SECRET_CAPABLE_KEYS:
            raise ConfigError(
                file,
                key,
                "must not be a secure value; only servestack:local.registryPassword is",
            )


def _decode(raw: str) -> Any:
    """Pulumi hands object values over as JSON strings, scalars as plain strings."""
    stripped = raw.strip()
    if stripped[:1] in {"{", "["}:
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            return raw
    return raw


def relative_to_root(path: str) -> PurePosixPath:
    return PurePosixPath(path)


def _short(value: Any, limit: int = 60) -> str:
    """A value for an error line: its repr, cut so the line stays one readable line."""
    text = repr(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."
