"""The whole stack file: `StackSpec`, the root every section hangs from."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, StringConstraints, field_validator, model_validator

from infra.config.checks import check_flavour, check_pools, check_servers
from infra.config.cluster import ClusterSpec, LocalSpec
from infra.config.derived_names import check_derived_names
from infra.config.gke_checks import check_gke
from infra.config.metrics import check_custom_metrics
from infra.config.nodepools import NodePoolSpec
from infra.config.paths import check_lexical
from infra.config.registry import ImagesSpec, RegistrySpec
from infra.config.servers import ServerSpec
from infra.config.serving import ServingSpec
from infra.config.shared import AbsolutePath, GcpProjectId, RepoPath, StackLabels, Strict
from infra.gke.locations import ZONES_DOCS, known_regions


class StackSpec(Strict):
    """Everything a stack file says, under the `servestack:` namespace plus gcp keys."""

    stack: str = Field(exclude=True)
    """Stack name, taken from the stack file's name, not set in it."""
    gcp_project: GcpProjectId | None = Field(None, exclude=True)
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
    model_store: RepoPath = "build/models"
    """Directory, relative to the project root, of exported recipe models, by name and version."""
    external_paths: list[AbsolutePath] = []
    """Absolute directories outside the repository that modelStore and source.path may name."""
    serving: ServingSpec = ServingSpec()
    """Namespace, exposure and network access of the model servers."""
    servers: list[ServerSpec] = Field(min_length=1)
    """Model servers: one image, Deployment and Service each."""

    @property
    def is_local(self) -> bool:
        return self.local is not None

    def pool(self, name: str | None) -> NodePoolSpec | None:
        return next((p for p in self.node_pools if p.name == name), None)

    @field_validator("gcp_region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        # The one shipped region table (infra/gke/locations.py); a prefix or a zone is no region.
        if value is not None and value not in known_regions():
            raise ValueError(f"unknown GCP region {value!r} (regions of {ZONES_DOCS})")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        check_flavour(self)
        check_gke(self)
        check_pools(self)
        check_servers(self)
        check_custom_metrics(self)
        check_derived_names(self)
        check_lexical(self)
        return self
