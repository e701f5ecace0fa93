"""Typed model of a stack file and its one loader.

The stack file is validated once, up front; everything below trusts the resulting
`StackSpec`. Any problem ends in a single `ConfigError` line naming the stack file and
the dotted key path, so a bad file never declares a resource.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
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
CpuQuantity = Annotated[
    str,
    BeforeValidator(
        lambda v: str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
    ),
    StringConstraints(pattern=r"^(\d+(\.\d+)?|\d+m)$"),
]
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


# --------------------------------------------------------------------------- labels


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
    """Existing VPC to use instead of creating one; needs existingSubnetwork."""
    existing_subnetwork: str | None = None
    """Existing subnet for the nodes; needs existingNetwork."""
    subnet_cidr: Cidr = "10.10.0.0/20"
    """Primary range of the created subnet: node IPs."""
    pods_cidr: Cidr = "10.16.0.0/14"
    """Secondary range for pod IPs; size it for max nodes x pods per node."""
    services_cidr: Cidr = "10.20.0.0/20"
    """Secondary range for Service cluster IPs."""

    @model_validator(mode="after")
    def _existing_pair(self) -> Self:
        if (self.existing_network is None) != (self.existing_subnetwork is None):
            raise ValueError("existingNetwork and existingSubnetwork go together")
        return self


class AuthorizedNetwork(Strict):
    name: str
    """Display name of the network (e.g. corp-vpn), shown in the GKE console."""
    cidr: Cidr
    """Source range allowed to reach the cluster's control plane."""


class PrivateClusterSpec(Strict):
    enabled: bool = True
    """Nodes get no public IPs; turn off only for throwaway clusters."""
    master_cidr: Cidr = "172.16.0.0/28"
    """/28 range for the control plane's private endpoint; unique in the VPC."""
    private_endpoint: bool = False
    """Control plane reachable only from inside the VPC (no public endpoint)."""


def _end_after_start(start: str, end: str) -> None:
    if datetime.fromisoformat(end) <= datetime.fromisoformat(start):
        raise ValueError(f"end: must be after start ({end} <= {start})")


class MaintenanceExclusion(Strict):
    name: str
    """Name of the freeze (e.g. year-end-freeze)."""
    start: Rfc3339
    """Start of the freeze, RFC 3339 UTC time."""
    end: Rfc3339
    """End of the freeze, RFC 3339 UTC time."""
    scope: Literal["NO_UPGRADES", "NO_MINOR_UPGRADES", "NO_MINOR_OR_NODE_UPGRADES"] = "NO_UPGRADES"
    """Which upgrades the freeze blocks."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _end_after_start(self.start, self.end)
        return self


class MaintenanceSpec(Strict):
    """A recurring window in RFC 5545 RRULE form, with optional exclusions."""

    start: Rfc3339 = "2026-01-03T02:00:00Z"
    """Start of the first window, RFC 3339 UTC; the recurrence repeats it."""
    end: Rfc3339 = "2026-01-03T08:00:00Z"
    """End of the first window, RFC 3339 UTC; sets how long each window lasts."""
    recurrence: str = "FREQ=WEEKLY;BYDAY=SA,SU"
    """RFC 5545 RRULE repeating the window, e.g. FREQ=WEEKLY;BYDAY=SA,SU."""
    exclusions: list[MaintenanceExclusion] = []
    """Periods in which GKE must not upgrade (release freezes)."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _end_after_start(self.start, self.end)
        return self

    @field_validator("recurrence")
    @classmethod
    def _rrule(cls, value: str) -> str:
        if not value.startswith("FREQ="):
            raise ValueError("must be an RFC 5545 RRULE such as FREQ=WEEKLY;BYDAY=SA,SU")
        return value


class ClusterSpec(Strict):
    name: DnsLabel
    """GKE cluster name, unique within the project."""
    location: str
    """Region (regional cluster, three zones) or zone; must lie in gcp:region."""
    release_channel: ReleaseChannel = ReleaseChannel.REGULAR
    """GKE release channel: how soon the cluster gets new versions."""
    network: NetworkSpec = NetworkSpec()
    """VPC, subnet and secondary ranges of the cluster."""
    private: PrivateClusterSpec = PrivateClusterSpec()
    """Private nodes and control-plane endpoint settings."""
    master_authorized_networks: list[AuthorizedNetwork] = []
    """Only these ranges reach the control plane; empty: no restriction."""
    workload_identity: bool = True
    """Pods act as Google service accounts without key files."""
    shielded_nodes: bool = True
    """Shielded GKE nodes (verified boot and node identity)."""
    dataplane_v2: bool = True
    """Dataplane V2 enforces NetworkPolicy; off: the Calico add-on does."""
    network_policy: bool = True
    """Enforce NetworkPolicy; may be off only without dataplaneV2, which always enforces."""
    node_service_account_roles: list[IamRole] = []
    """Extra project roles of the node service account, e.g. roles/logging.logWriter."""
    managed_prometheus: bool = True
    """Google Managed Prometheus, which scrapes serving metrics."""
    maintenance: MaintenanceSpec = MaintenanceSpec()
    """When GKE may upgrade the cluster and its nodes."""
    binary_authorization: bool = False
    """Enforce the project's Binary Authorization policy on images."""
    secrets_encryption_key: str | None = None
    """KMS key id to encrypt Kubernetes Secrets at rest; unset: Google key."""
    deletion_protection: bool = True
    """Refuse to delete the cluster, and keep it if removed from the stack."""

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

    @field_validator("node_service_account_roles")
    @classmethod
    def _unique_roles(cls, value: list[str]) -> list[str]:
        twice = sorted({role for role in value if value.count(role) > 1})
        if twice:
            raise ValueError(f"lists {', '.join(twice)} more than once")
        return value

    @model_validator(mode="after")
    def _enforcement(self) -> Self:
        if self.dataplane_v2 and not self.network_policy:
            raise ValueError(
                "networkPolicy: Dataplane V2 always enforces NetworkPolicy; "
                "set dataplaneV2: false to turn enforcement off"
            )
        return self

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
    """How containers share one GPU: time slicing or NVIDIA MPS."""
    max_shared_clients_per_gpu: int = Field(2, ge=2, le=48)
    """Containers that may share one physical GPU."""


class GpuSpec(Strict):
    type: str
    """GKE accelerator type; decides the machine family (nvidia-l4 needs g2-*)."""
    count: int = Field(1, ge=1, le=16)
    """GPUs attached to each node."""
    driver_version: Literal["DEFAULT", "LATEST", "INSTALLATION_DISABLED"] = "LATEST"
    """NVIDIA driver GKE installs; INSTALLATION_DISABLED: bring your own."""
    sharing: GpuSharing | None = None
    """Let several containers share each GPU; unset: one container per GPU."""

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
    """Minimum node count per zone when perZone, else for the whole pool."""
    max: int = Field(3, ge=1, le=1000)
    """Maximum node count per zone when perZone, else for the whole pool."""
    per_zone: bool = False
    """Read min and max per zone of the pool instead of as pool totals."""
    location_policy: Literal["BALANCED", "ANY"] = "BALANCED"
    """BALANCED spreads nodes across zones; ANY takes any zone with capacity."""

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.min > self.max:
            raise ValueError(f"min: must be <= max ({self.min} > {self.max})")
        return self


class UpgradeSpec(Strict):
    strategy: Literal["SURGE", "BLUE_GREEN"] = "SURGE"
    """SURGE replaces nodes a few at a time; BLUE_GREEN builds a new pool first."""
    max_surge: int = Field(1, ge=0, le=100)
    """SURGE: extra nodes created at once during an upgrade."""
    max_unavailable: int = Field(0, ge=0, le=100)
    """SURGE: nodes that may be down at once during an upgrade."""
    blue_green_soak_seconds: int = Field(3600, ge=0)
    """BLUE_GREEN: seconds the old pool is kept after draining."""


class TaintSpec(Strict):
    """A Kubernetes taint on every node of a pool; servers placed on the pool tolerate it."""

    key: Annotated[
        str,
        StringConstraints(
            pattern=r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
        ),
    ]
    """Taint key; only pods that tolerate it (servers on this pool) run there."""
    value: Annotated[
        str, StringConstraints(pattern=r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
    ] = ""
    """Taint value; may be empty."""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = "NoSchedule"
    """What happens to pods that do not tolerate the taint."""

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
    """Pool name that servers refer to with nodePool; at most 33 characters."""
    machine_type: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]*-[-a-z0-9]+$")]
    """Compute Engine machine type of the nodes, e.g. n2-standard-8."""
    disk_size_gb: int = Field(100, ge=20, le=65536)
    """Boot disk size of each node, GB; holds the model images."""
    disk_type: Literal["pd-standard", "pd-balanced", "pd-ssd", "hyperdisk-balanced"] = "pd-balanced"
    """Boot disk type of each node."""
    spot: bool = False
    """Use Spot VMs: much cheaper, but nodes can be reclaimed at any time."""
    autoscaling: PoolAutoscaling = PoolAutoscaling()
    """Node count bounds of the cluster autoscaler."""
    upgrade: UpgradeSpec = UpgradeSpec()
    """How GKE replaces nodes on upgrades and setting changes."""
    gpu: GpuSpec | None = None
    """GPUs on each node; unset: a CPU pool."""
    service_account: str | None = None
    """Email of the nodes' Google service account; unset: the stack's dedicated one."""
    labels: dict[str, LabelValue] = {}
    """Extra Kubernetes labels on the pool's nodes."""
    taints: list[TaintSpec] = []
    """Extra taints on the pool's nodes (GPU pools already carry nvidia.com/gpu)."""

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
    """Most recent image versions always kept, tagged or not."""
    delete_untagged_after_days: int = Field(7, ge=1, le=3650)
    """Untagged images older than this many days are deleted."""


class RegistrySpec(Strict):
    repository: DnsLabel = "models"
    """Artifact Registry repository name holding the model server images."""
    immutable_tags: bool = False
    """Reject pushing a tag that already exists."""
    cleanup: CleanupSpec = CleanupSpec()
    """Artifact Registry cleanup policies for old images."""
    protect: bool = False
    """Refuse to delete the repository, and keep it if removed from the stack."""


class LocalSpec(Strict):
    """The `local` flavour: an existing kubeconfig context and a local registry, no GCP."""

    kubeconfig_context: str
    """kubeconfig context of the local cluster to deploy to."""
    kubeconfig_path: str | None = None
    """kubeconfig file to read; unset: the default (KUBECONFIG or ~/.kube)."""
    registry: str = "localhost:5001"
    """host:port of the local registry the images are pushed to."""
    registry_password: SecretStr | None = None
    """Password for the local registry; set it as a secure value."""


# -------------------------------------------------------------------------- images


class ImagesSpec(Strict):
    tf_serving_version: Annotated[str, StringConstraints(pattern=r"^2\.\d+\.\d+$")] = "2.19.1"
    """tensorflow/serving release the model images are built on."""
    platform: Literal["linux/amd64", "linux/arm64"] = "linux/amd64"
    """CPU architecture of the built images; match the nodes."""
    build_on_preview: bool = False
    """Also build images during a preview (slower; proves the build works)."""
    push: bool = True
    """Push built images to the registry; off: build only."""
    registry_cache: bool = True
    """Reuse and update a build cache stored in the registry."""
    # Real builds refuse a base image without a digest in model_images/base-images.lock.
    allow_unpinned_base: bool = False
    """Build on a base image not pinned by digest in the lock file."""


# -------------------------------------------------------------------------- serving


# gs://<bucket>/<prefix> (bucket names per https://cloud.google.com/storage/docs/buckets#naming)
# or file:///<absolute directory>; one directory per version below it.
SourceUri = Annotated[
    str,
    StringConstraints(
        pattern=r"^(gs://[a-z0-9][a-z0-9._-]{1,220}[a-z0-9](/[A-Za-z0-9._~@+=-]+)+|file:///[^\s]+)$"
    ),
]


class ModelSource(Strict):
    """Where a model's published versions live, and how `models publish` makes new ones.

    Plans and images follow the model lock (model_images/models.lock), which records each
    published version's location and digest; these keys say where versions are published.
    """

    uri: SourceUri | None = None
    """Bucket prefix (gs://bucket/prefix) or file:// directory, one directory per version."""
    path: str | None = None
    """Directory inside the repository, one SavedModel per version (tiny test models)."""
    recipe: Literal["tiny", "inception_v3", "resnet50"] | None = None
    """Built-in export recipe `servestack models publish` uses to make a new version."""
    weights: Literal["imagenet", "none"] = "none"
    """Recipe weights: imagenet (pretrained) or none (random, for tests)."""

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.uri is None) == (self.path is None):
            raise ValueError("set exactly one of uri or path (where versions are published)")
        if self.recipe is None:
            if "weights" in self.model_fields_set:
                raise ValueError("weights: applies to a recipe")
            return self
        from model_images.catalog import RECIPES

        allowed = RECIPES[self.recipe].weights
        if self.weights not in allowed:
            raise ValueError(
                f"weights: recipe {self.recipe} takes weights {' or '.join(allowed)} "
                f"(got {self.weights!r})"
            )
        return self

    @property
    def base(self) -> str:
        """The published location of the versions: the uri, or the repository path."""
        location = self.uri if self.uri is not None else self.path
        assert location is not None
        return location.rstrip("/")


class ModelSpec(Strict):
    name: DnsLabel
    """Model name clients ask for in Predict/Classify requests."""
    source: ModelSource
    """Where the SavedModel versions come from."""
    versions: list[Annotated[int, Field(ge=1)]] = Field(min_length=1)
    """Model versions baked into the image and served."""
    version_policy: Literal["latest", "all", "specific"] = "specific"
    """TF Serving version policy: serve the latest, all, or the listed ones."""
    version_labels: dict[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")], int] = {}
    """Names for versions (stable: 2) clients may request instead of numbers."""

    @model_validator(mode="after")
    def _labels_point_at_versions(self) -> Self:
        if len(set(self.versions)) != len(self.versions):
            raise ValueError("versions: must not repeat a version")
        for label, version in self.version_labels.items():
            if version not in self.versions:
                raise ValueError(
                    f"versionLabels.{label}: version {version} is not in versions {self.versions}"
                )
            # `latest` loads only the highest version in the base path (num_versions: 1);
            # a label elsewhere would name a version TF Serving never loads, and
            # --allow_version_labels_for_unavailable_models would hide that until a
            # request for the label fails (tensorflow_serving/model_servers/
            # server_core.cc:514-552 at 2.19.1). `all` and `specific` load every listed one.
            if self.version_policy == "latest" and version != max(self.versions):
                raise ValueError(
                    f"versionLabels.{label}: version {version} never loads under "
                    f"versionPolicy latest (only {max(self.versions)} does); use "
                    "versionPolicy specific or label the latest version"
                )
        return self


class ResourcesSpec(Strict):
    cpu: CpuQuantity = "1"
    """CPU request and limit per replica (cores, or millicores like 500m)."""
    memory: MemoryQuantity = "2Gi"
    """Memory request per replica (Ki/Mi/Gi/Ti); the limit adds swap headroom."""
    gpus: int = Field(0, ge=0, le=16)
    """GPUs per replica; 0 on CPU pools (a GPU pool's server without one breaks policy)."""
    # Extra memory on the limit so two model versions fit during a version swap.
    swap_headroom_percent: int = Field(100, ge=0, le=400)
    """Extra memory on the limit, percent of memory, for version swaps."""

    @model_validator(mode="after")
    def _not_zero(self) -> Self:
        if float(self.cpu.removesuffix("m")) == 0:
            raise ValueError(f"cpu: must be more than 0 (got {self.cpu!r})")
        if int(self.memory[:-2]) == 0:
            raise ValueError(f"memory: must be more than 0 (got {self.memory!r})")
        return self


class CustomMetric(Strict):
    type: Literal["Pods", "External"]
    """Pods: a per-pod metric; External: a metric not tied to pods."""
    name: str
    """Metric name as the metrics adapter exposes it."""
    target_average_value: str
    """Average value per pod to scale towards (a quantity)."""


class ServerAutoscaling(Strict):
    min: int = Field(1, ge=1, le=1000)
    """Fewest replicas, kept even when idle."""
    max: int = Field(3, ge=1, le=1000)
    """Most replicas the autoscaler may run."""
    target_cpu_utilization: int = Field(70, ge=10, le=100)
    """Average CPU use, percent of the request, to scale towards."""
    metric: CustomMetric | None = None
    """An extra custom metric to scale on, e.g. requests per pod."""
    scale_down_stabilization_seconds: int = Field(300, ge=0, le=3600)
    """Seconds of lower load before replicas are removed."""

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.min > self.max:
            raise ValueError(f"min: must be <= max ({self.min} > {self.max})")
        return self


class BatchingSpec(Strict):
    max_batch_size: int = Field(32, ge=1, le=4096)
    """Most requests merged into one batch."""
    batch_timeout_micros: int = Field(2000, ge=0, le=10_000_000)
    """Microseconds to wait for a batch to fill; trades latency for speed."""
    max_enqueued_batches: int = Field(100, ge=1)
    """Queued batches before new requests are rejected."""
    num_batch_threads: int = Field(4, ge=1, le=256)
    """Batches processed in parallel."""


class RolloutSpec(Strict):
    max_surge: int = Field(1, ge=1, le=100)
    """Extra replicas started at once during a rollout."""
    max_unavailable: int = Field(0, ge=0, le=100)
    """Replicas that may be unready at once during a rollout."""
    startup_timeout_seconds: int = Field(600, ge=30, le=7200)
    """Seconds a replica may take to load its models before restart."""
    pre_stop_seconds: int = Field(15, ge=0, le=300)
    """Seconds a stopping replica keeps serving while traffic drains."""
    termination_grace_seconds: int = Field(45, ge=1, le=3600)
    """Seconds to finish in-flight requests; must exceed preStop."""
    spread_across_zones: bool = True
    """Spread replicas evenly across zones."""

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
    """Model that gets the canary version; unset: the server's first model."""
    version: int = Field(ge=1)
    """Model version the canary replicas serve."""
    weight: int = Field(ge=1, le=50)
    """Canary replicas as percent of autoscaling.min (at least 1); traffic follows."""


class ServerSpec(Strict):
    name: DnsLabel
    """Server name: names its image, Deployment and Service."""
    node_pool: DnsLabel | None = None
    """Node pool the replicas run on; required on GKE, unset for local."""
    models: list[ModelSpec] = Field(min_length=1)
    """Models this server serves, baked into its image."""
    resources: ResourcesSpec = ResourcesSpec()
    """CPU, memory and GPUs per replica."""
    autoscaling: ServerAutoscaling = ServerAutoscaling()
    """Replica count bounds and scaling targets."""
    batching: BatchingSpec | None = None
    """Server-side request batching; unset: no batching."""
    rollout: RolloutSpec = RolloutSpec()
    """How new versions roll out and replicas shut down."""
    canary: CanarySpec | None = None
    """Serve a new model version on a share of replicas first."""
    gcp_service_account: str | None = None
    """Google service account the pods act as (Workload Identity)."""
    image: str | None = None
    """Prebuilt image to deploy instead of building one (pin it by digest)."""

    @model_validator(mode="after")
    def _unique_models(self) -> Self:
        names = [m.name for m in self.models]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise ValueError(f"models[{index}].name: duplicate model name {name!r}")
        if self.canary is not None and self.image is not None:
            raise ValueError("canary: needs an image built from models; remove image or canary")
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
    """Namespaces whose pods may call the servers."""
    cidrs: list[Cidr] = []
    """Source ranges that may call the servers."""


NodePort = Annotated[int, Field(ge=30000, le=32767)]


class NodePorts(Strict):
    grpc: NodePort | None = None
    """Node port of the gRPC API; unset: Kubernetes picks one."""
    http: NodePort | None = None
    """Node port of the REST API; unset: Kubernetes picks one."""

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if self.grpc is not None and self.grpc == self.http:
            raise ValueError(f"http: the same node port as grpc ({self.grpc})")
        return self


class ServingSpec(Strict):
    namespace: DnsLabel = "serving"
    """Kubernetes namespace of the model servers."""
    expose: Literal["cluster", "internal", "external", "nodeport"] = "cluster"
    """cluster: in-cluster; internal/external: VPC/public load balancer; nodeport: node ports."""
    node_ports: NodePorts | None = None
    """Fixed node ports (30000-32767) with expose: nodeport; unset: Kubernetes picks."""
    source_ranges: list[Cidr] = []
    """Ranges let through to the servers' load balancer or node port (not with cluster)."""
    allow_from: AllowFrom = AllowFrom()
    """Callers let through the namespace's default-deny network policy."""
    monitoring: bool = True
    """Export Prometheus metrics and scrape them (Managed Prometheus on GKE)."""

    @field_validator("namespace")
    @classmethod
    def _not_default(cls, value: str) -> str:
        if value in {"default", "kube-system", "kube-public"}:
            raise ValueError(f"must not be the {value!r} namespace")
        return value

    @model_validator(mode="after")
    def _node_ports_need_nodeport(self) -> Self:
        if self.node_ports is not None and self.expose != "nodeport":
            raise ValueError(f"nodePorts: only with expose: nodeport (expose is {self.expose})")
        return self


# ---------------------------------------------------------------------------- stack


class StackSpec(Strict):
    """Everything a stack file says, under the `servestack:` namespace plus gcp keys."""

    stack: str = Field(exclude=True)
    """Stack name, taken from the stack file's name, not set in it."""
    gcp_project: str | None = Field(None, exclude=True)
    """GCP project holding the cluster, registry and service accounts (`gcp:project`)."""
    gcp_region: str | None = Field(None, exclude=True)
    """GCP region of the cluster and registry; cluster.location lies in it (`gcp:region`)."""

    labels: StackLabels
    """Stack labels put on every labelled resource."""
    kubernetes_version: Annotated[str, StringConstraints(pattern=r"^1\.\d{2}$")]
    """Kubernetes minor version of the cluster; manifests target it."""
    cluster: ClusterSpec | None = None
    """GKE cluster to create; set this or local."""
    local: LocalSpec | None = None
    """Deploy to an existing local cluster instead of GKE; set this or cluster."""
    node_pools: list[NodePoolSpec] = []
    """GKE node pools; at least one on GKE, none for local."""
    gpu_budget: int = Field(0, ge=0, le=4096)
    """Most GPUs all pools together may scale to."""
    registry: RegistrySpec = RegistrySpec()
    """Artifact Registry repository for the model images."""
    images: ImagesSpec = ImagesSpec()
    """How the model server images are built."""
    model_store: str = "build/models"
    """Directory, relative to the project root, of exported recipe models, by name and version."""
    serving: ServingSpec = ServingSpec()
    """Namespace, exposure and network access of the model servers."""
    servers: list[ServerSpec] = Field(min_length=1)
    """Model servers: one image, Deployment and Service each."""

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
        # A GPU pool's server without a GPU request is left to the policy pack's
        # gpu-scheduling rule: it schedules, but wastes a GPU node.
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
# Error types whose message is clearer with the offending value appended.
_SHOWS_INPUT = frozenset(
    {"literal_error", "enum", "greater_than_equal", "less_than_equal", "too_short", "too_long"}
)


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
    secret_keys: Collection[str] | None = None,
) -> StackSpec:
    """Validate the stack's config map (full keys such as `servestack:servers`).

    With `secret_keys` (the keys holding `secure:` values), secrets must not be plain text.
    """
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
        spec = StackSpec.model_validate(
            {
                **project_values,
                "stack": stack,
                "gcp_project": values.get("gcp:project"),
                "gcp_region": values.get("gcp:region"),
            }
        )
    except ValidationError as error:
        raise _first_error(file, error) from None
    if secret_keys is not None:
        _check_plaintext_secrets(file, spec, secret_keys)
    return spec


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
    return parse_config(stack, _all_config(), file=stack_file(stack), secret_keys=_secret_keys())


def parse_config(
    stack: str, raw: Mapping[str, str], *, file: str, secret_keys: Collection[str]
) -> StackSpec:
    """Validate config as the engine hands it over: string values, objects as JSON."""
    _check_secret_keys(file, secret_keys)
    values = {key: _decode_config_value(value) for key, value in sorted(raw.items())}
    return parse_stack(stack, values, file=file, secret_keys=secret_keys)


def _all_config() -> dict[str, str]:
    from pulumi.runtime import config as runtime_config

    return dict(runtime_config.CONFIG.get())


def _secret_keys() -> list[str]:
    from pulumi.runtime import config as runtime_config

    return sorted(runtime_config._SECRET_KEYS.get())


# Keys whose values may be `secure:`; anything else that is secret is rejected so
# secrets never leak into plain resource inputs.
SECRET_CAPABLE_KEYS = frozenset({f"{PROJECT}:local"})


def _check_secret_keys(file: str, keys: Collection[str]) -> None:
    for key in keys:
        if key.startswith(f"{PROJECT}:") and key not in SECRET_CAPABLE_KEYS:
            raise ConfigError(
                file,
                key,
                "must not be a secure value; only servestack:local.registryPassword is",
            )


def _decode_config_value(raw: str) -> Any:
    """Pulumi hands object values over as JSON strings, scalars as plain strings."""
    stripped = raw.strip()
    if stripped[:1] in {"{", "["}:
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            return raw
    return raw


def _short(value: Any, limit: int = 60) -> str:
    """A value for an error line: its repr, cut so the line stays one readable line."""
    text = repr(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."
