"""Small frozen inputs of the components, each built once from the `StackSpec`.

A component or builder takes the part of the stack it acts on (a pool, a server) plus one
of these targets, never the whole spec: a node-pool or serving test builds its target
directly, without a stack file. Which stack keys feed which field is decided here alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from infra.config.cluster import ClusterSpec, LocalSpec
from infra.config.nodepools import NodePoolSpec
from infra.config.registry import ImagesSpec, RegistrySpec
from infra.config.replacement import PoolReplacement, choose_replacement
from infra.config.servers import ServerSpec
from infra.config.serving import AllowFrom, Expose, NodePorts
from infra.config.shared import StackLabels
from infra.config.stack import StackSpec


@dataclass(frozen=True)
class GcpTarget:
    """Where the stack's GCP resources go and the labels they carry."""

    project: str
    """GCP project of every resource (`gcp:project`)."""
    region: str
    """GCP region of the subnet and the registry (`gcp:region`)."""
    labels: StackLabels
    """Stack labels, put on every GCP resource that takes labels."""


@dataclass(frozen=True)
class PoolTarget:
    """What a node pool needs to know about the cluster it joins."""

    project: str
    """GCP project of the cluster."""
    location: str
    """Region or zone of the cluster; the pool lives there too."""
    cluster_name: str
    """Name of the cluster: names the node service account and the nodes' network tag."""
    labels: StackLabels
    """Stack labels, put on the nodes and on their Compute Engine resources."""
    workload_identity: bool
    """The cluster runs Workload Identity, so nodes serve the GKE metadata server."""


@dataclass(frozen=True)
class GkeTarget:
    """The GKE flavour of a stack: cluster, node pools and registry in one GCP project."""

    gcp: GcpTarget
    """Project, region and labels of the GCP resources."""
    cluster: ClusterSpec
    """The stack file's `cluster` section."""
    node_pools: tuple[NodePoolSpec, ...]
    """The stack file's `nodePools`, in stack-file order."""
    registry: RegistrySpec
    """The stack file's `registry` section."""
    gpu_budget: int = 0
    """Most GPUs all pools together may hold (`gpuBudget`), replacements included."""
    build_cache: bool = False
    """The image builds keep a cache in its own repository (`images.registryCache`)."""

    def replacement(self, pool: NodePoolSpec) -> PoolReplacement:
        """How `pool` is replaced: create-before-delete when the GPU budget allows it."""
        return choose_replacement(pool, self.node_pools, self.gpu_budget, self.cluster.regional)

    @property
    def pools(self) -> PoolTarget:
        """The input every node pool of this cluster shares."""
        return PoolTarget(
            project=self.gcp.project,
            location=self.cluster.location,
            cluster_name=self.cluster.name,
            labels=self.gcp.labels,
            workload_identity=self.cluster.workload_identity,
        )


@dataclass(frozen=True)
class ServingTarget:
    """What every model server of the stack shares: namespace, labels, exposure, monitoring."""

    namespace: str
    """Kubernetes namespace of the model servers."""
    labels: StackLabels
    """Stack labels, put on every Kubernetes object."""
    expose: Expose
    """How clients reach the servers: cluster, internal, external or nodeport."""
    monitoring: bool
    """The servers export Prometheus metrics (`serving.monitoring`)."""
    managed_prometheus: bool
    """The cluster runs Google Managed Prometheus, which scrapes those metrics."""
    kubernetes_minor: int
    """Minor version of the cluster's Kubernetes release (1.33 -> 33)."""
    tf_serving_version: str
    """tensorflow/serving release of the images: the objects' app.kubernetes.io/version."""
    source_ranges: tuple[str, ...] = ()
    """Ranges let through to the load balancer or node port."""
    allow_from: AllowFrom = field(default_factory=AllowFrom)
    """Callers let through the namespace's default-deny network policy."""
    node_ports: NodePorts | None = None
    """Fixed node ports with expose nodeport; None: Kubernetes picks."""
    gateway_class: str | None = None
    """GKE GatewayClass of the REST Gateway (expose internal/external on GKE); None: none."""
    proxy_only_cidr: str | None = None
    """Source range of the Gateway's proxies, let through the NetworkPolicy."""

    @property
    def scraped(self) -> bool:
        """Managed Prometheus scrapes the servers: they export metrics and GMP runs."""
        return self.monitoring and self.managed_prometheus


def gke_cluster(spec: StackSpec) -> ClusterSpec:
    """The cluster section of a GKE stack (the loader guarantees it exists there)."""
    if spec.cluster is None:
        raise ValueError(f"stack {spec.stack!r} has no cluster section")
    return spec.cluster


def gcp_target(spec: StackSpec) -> GcpTarget:
    """Project, region and labels of a GKE stack (the loader guarantees both keys there)."""
    if not spec.gcp_project:
        raise ValueError(f"stack {spec.stack!r} has no gcp:project")
    if not spec.gcp_region:
        raise ValueError(f"stack {spec.stack!r} has no gcp:region")
    return GcpTarget(project=spec.gcp_project, region=spec.gcp_region, labels=spec.labels)


def gke_target(spec: StackSpec) -> GkeTarget:
    """The GKE side of a stack; ValueError for a local stack (the loader keeps them apart)."""
    return GkeTarget(
        gcp=gcp_target(spec),
        cluster=gke_cluster(spec),
        node_pools=tuple(spec.node_pools),
        registry=spec.registry,
        gpu_budget=spec.gpu_budget,
        build_cache=spec.images.registry_cache,
    )


def platform_target(spec: StackSpec) -> GkeTarget | LocalSpec:
    """What the platform stands on: a GKE target, or the local cluster and registry."""
    return spec.local if spec.local is not None else gke_target(spec)


def pool_target(spec: StackSpec) -> PoolTarget:
    """What every node pool of a GKE stack shares."""
    return gke_target(spec).pools


# GKE's managed GatewayClasses: the regional internal and the regional external Application
# Load Balancer, both Envoy-based, both needing the region's proxy-only subnet
# (https://cloud.google.com/kubernetes-engine/docs/concepts/gateway-api#gatewayclass).
GATEWAY_CLASSES: dict[str, str] = {
    "internal": "gke-l7-rilb",
    "external": "gke-l7-regional-external-managed",
}


def gateway_class(spec: StackSpec) -> str | None:
    """A GKE stack exposed beyond the cluster gets a Gateway; a local one never does."""
    if spec.cluster is None:
        return None
    return GATEWAY_CLASSES.get(spec.serving.expose)


def serving_target(spec: StackSpec) -> ServingTarget:
    """What every model server of a stack shares, GKE or local."""
    serving = spec.serving
    gateway = gateway_class(spec)
    return ServingTarget(
        namespace=serving.namespace,
        labels=spec.labels,
        expose=serving.expose,
        monitoring=serving.monitoring,
        managed_prometheus=spec.cluster is not None and spec.cluster.managed_prometheus,
        source_ranges=tuple(serving.source_ranges),
        allow_from=serving.allow_from,
        node_ports=serving.node_ports,
        kubernetes_minor=int(spec.kubernetes_version.split(".")[1]),
        tf_serving_version=spec.images.tf_serving_version,
        gateway_class=gateway,
        proxy_only_cidr=(
            spec.cluster.network.proxy_only_cidr if gateway and spec.cluster is not None else None
        ),
    )


@dataclass(frozen=True)
class ImageTarget:
    """What a model image needs of its stack: names for errors and paths, image settings."""

    stack: str
    """Stack name: names the stack file in errors and the build-context directory."""
    images: ImagesSpec
    """The stack file's `images` section: TF Serving version, platform, push, cache."""
    model_store: str
    """Directory, relative to the project root, where fetched model versions are."""
    local: LocalSpec | None
    """The local registry's credentials on the `local` stack; None on GKE stacks."""


@dataclass(frozen=True)
class ServerImage:
    """One model server as its image sees it."""

    server: ServerSpec
    """The server: its models, versions, canary and batching."""
    index: int
    """Position in `servers`, so errors name `servestack:servers[i]...`."""
    gpu: bool
    """The server's node pool has GPUs: the image builds on TF Serving's -gpu base."""


def image_target(spec: StackSpec) -> ImageTarget:
    return ImageTarget(
        stack=spec.stack, images=spec.images, model_store=spec.model_store, local=spec.local
    )


def server_image(spec: StackSpec, server: ServerSpec) -> ServerImage:
    pool = spec.pool(server.node_pool)
    index = next(i for i, s in enumerate(spec.servers) if s.name == server.name)
    return ServerImage(server=server, index=index, gpu=pool is not None and pool.gpu is not None)
