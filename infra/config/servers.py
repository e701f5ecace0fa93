"""The `servers` section: one TF Serving deployment each, with its resources and rollout."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from infra.config.models import ModelSpec
from infra.config.shared import (
    MAX_SAFE_INT,
    CpuQuantity,
    DnsLabel,
    ImageRef,
    MemoryQuantity,
    Quantity,
    ServiceAccountEmail,
    Strict,
)


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
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_:][A-Za-z0-9_:./|-]{0,252}$")]
    """Managed Prometheus metric as the adapter serves it: prometheus.googleapis.com|name|kind"""
    target_average_value: Quantity
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
    max_enqueued_batches: int = Field(100, ge=1, le=1_000_000)
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


# A Prometheus range duration such as 10m (https://prometheus.io/docs/prometheus/latest/
# querying/basics/#time-durations), kept to one unit so it reads the same in PromQL and YAML.
Window = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{0,3}[smh]$")]


class CanaryAnalysis(Strict):
    """Thresholds `servestack canary` holds the canary to, against stable, over one window."""

    window: Window = "10m"
    """PromQL range both tracks are compared over, e.g. 10m."""
    min_requests: int = Field(100, ge=1)
    """Canary requests the window must hold before any verdict; fewer: wait."""
    max_error_rate_increase: float = Field(ge=0, le=100)
    """Most the canary's error rate may exceed stable's, in percentage points."""
    max_latency_ratio: float = Field(ge=1, le=100)
    """Most the canary's p99 latency may be, as a multiple of stable's p99."""
    step: int = Field(10, ge=1, le=50)
    """Percentage points a passing analysis adds to canary.weight."""
    max_weight: int = Field(50, ge=1, le=50)
    """Weight after which a passing analysis makes the canary version the served one."""


class CanarySpec(Strict):
    model: DnsLabel | None = None
    """Model that gets the canary version; unset: the server's first model."""
    version: int = Field(ge=1, le=MAX_SAFE_INT)
    """Model version the canary replicas serve."""
    weight: int = Field(ge=1, le=50)
    """Percent of REST requests through the Gateway (exact); also sizes the canary's HPA."""
    analysis: CanaryAnalysis | None = None
    """Metric gate of `servestack canary`; required by policy in mandatory stacks."""

    @model_validator(mode="after")
    def _weight_within_max(self) -> Self:
        if self.analysis is not None and self.weight > self.analysis.max_weight:
            raise ValueError(
                f"weight: {self.weight} is above analysis.maxWeight {self.analysis.max_weight}"
            )
        return self


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
    gcp_service_account: ServiceAccountEmail | None = None
    """Google service account the pods act as (Workload Identity)."""
    image: ImageRef | None = None
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
