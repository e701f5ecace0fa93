"""GCP side of a stack: cluster, node pools, node identity, registry, Kubernetes provider."""

from infra.config.placement import PoolPlacement
from infra.platform.platform import Platform, PlatformArgs

__all__ = ["Platform", "PlatformArgs", "PoolPlacement"]
