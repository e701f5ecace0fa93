"""The `serving` section: namespace, exposure and network access of all model servers."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, field_validator, model_validator

from infra.config.shared import Cidr, DnsLabel, Strict


class AllowFrom(Strict):
    namespaces: list[DnsLabel] = []
    """Namespaces whose pods may call the servers."""
    cidrs: list[Cidr] = []
    """Source ranges that may call the servers."""


# How clients reach the servers (serving.expose).
Expose = Literal["cluster", "internal", "external", "nodeport"]
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
    expose: Expose = "cluster"
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
