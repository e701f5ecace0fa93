"""The `nodePools` section: machines, disks, GPUs, autoscaling, upgrades and taints."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, field_validator, model_validator

from infra.config.shared import DnsLabel, LabelValue, ServiceAccountEmail, Strict
from infra.gke.accelerators import GPU_MACHINE_FAMILIES, check_accelerator
from infra.gke.names import POOL_NAME_ROOM, check_pool_name


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
    blue_green_soak_seconds: int = Field(3600, ge=0, le=604_800)
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
NODE_POOL_NAME_MAX = POOL_NAME_ROOM


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
    service_account: ServiceAccountEmail | Literal["default"] | None = None
    """Email of the nodes' Google service account; unset: the stack's dedicated one."""
    labels: dict[str, LabelValue] = {}
    """Extra Kubernetes labels on the pool's nodes."""
    taints: list[TaintSpec] = []
    """Extra taints on the pool's nodes (GPU pools already carry nvidia.com/gpu)."""
    replacement: Literal["auto", "createBeforeDelete", "deleteBeforeCreate"] = "auto"
    """Order when a settings change replaces the pool; auto: create-before-delete when
    gpuBudget covers both pools at once, else delete-before-create (an outage)."""

    @property
    def machine_family(self) -> str:
        return self.machine_type.split("-", 1)[0]

    @field_validator("name")
    @classmethod
    def _room_for_settings_hash(cls, value: str) -> str:
        for violation in check_pool_name(value):
            raise ValueError(violation.message)
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
            for violation in check_accelerator(self.machine_type, self.gpu.type, self.gpu.count):
                raise ValueError(f"gpu.{violation.path}: {violation.message}")
        return self

    @property
    def max_gpus(self) -> int:
        """Upper bound of GPUs this pool may hold (per-zone counts are multiplied later)."""
        return 0 if self.gpu is None else self.autoscaling.max * self.gpu.count
