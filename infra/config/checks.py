"""Checks across sections of the stack file (pools against servers, flavour against keys).

Each raises `KeyedError` with the dotted key it belongs to; `StackSpec` runs them after the
sections have validated on their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from infra.config.errors import KeyedError
from infra.config.replacement import gpu_ceiling
from infra.gke.locations import zones_of

if TYPE_CHECKING:
    from infra.config.stack import StackSpec


def check_flavour(spec: StackSpec) -> None:
    if (spec.cluster is None) == (spec.local is None):
        raise KeyedError("servestack:cluster", "set exactly one of cluster or local")
    if spec.local is not None and spec.node_pools:
        raise KeyedError("servestack:nodePools", "must be empty for a local stack")
    if spec.cluster is not None:
        if not spec.gcp_project:
            raise KeyedError("gcp:project", "required for a GKE stack")
        if not spec.gcp_region:
            raise KeyedError("gcp:region", "required for a GKE stack")
        location = spec.cluster.location
        # The region itself (a regional cluster) or one of its zones in the shipped table.
        if location != spec.gcp_region and location not in zones_of(spec.gcp_region):
            zones = ", ".join(zones_of(spec.gcp_region))
            raise KeyedError(
                "servestack:cluster.location",
                f"must be in gcp:region {spec.gcp_region}: the region or one of its zones "
                f"({zones}) (got {location!r})",
            )
        if not spec.node_pools:
            raise KeyedError("servestack:nodePools", "a GKE stack needs at least one pool")
        network = spec.cluster.network
        needs_proxies = spec.serving.expose in ("internal", "external")
        # Created with a created network; an existing network's own proxy-only range is
        # named here all the same, so the NetworkPolicy lets the proxies in.
        if needs_proxies and not network.proxy_only_cidr:
            raise KeyedError(
                "servestack:cluster.network.proxyOnlyCidr",
                f"required with serving.expose {spec.serving.expose}: "
                "the Gateway's proxies need a proxy-only subnet",
            )


def check_pools(spec: StackSpec) -> None:
    seen: set[str] = set()
    for index, pool in enumerate(spec.node_pools):
        key = f"servestack:nodePools[{index}]"
        if pool.name in seen:
            raise KeyedError(f"{key}.name", f"duplicate node pool name {pool.name!r}")
        seen.add(pool.name)
        # Per-zone bounds of a regional pool apply in each of GKE's default three zones.
        ceiling = gpu_ceiling(pool, spec.cluster is not None and spec.cluster.regional)
        if ceiling > spec.gpu_budget:
            zones = ceiling // pool.max_gpus
            per_zone = f" x {zones} zones" if zones > 1 else ""
            raise KeyedError(
                f"{key}.autoscaling.max",
                f"pool can hold {ceiling} GPUs (max {pool.autoscaling.max} x "
                f"{pool.gpu.count if pool.gpu else 0}{per_zone}), more than "
                f"servestack:gpuBudget {spec.gpu_budget}",
            )
    check_replacement_overlap(spec)


def check_replacement_overlap(spec: StackSpec) -> None:
    """A pool set to createBeforeDelete needs budget for itself twice during the swap."""
    regional = spec.cluster is not None and spec.cluster.regional
    committed = sum(gpu_ceiling(p, regional) for p in spec.node_pools)
    for index, pool in enumerate(spec.node_pools):
        ceiling = gpu_ceiling(pool, regional)
        if pool.replacement == "createBeforeDelete" and committed + ceiling > spec.gpu_budget:
            raise KeyedError(
                f"servestack:nodePools[{index}].replacement",
                f"createBeforeDelete needs {committed + ceiling} GPUs during the swap "
                f"({committed} of all pools + {ceiling} of the new pool), more than "
                f"servestack:gpuBudget {spec.gpu_budget}; use deleteBeforeCreate or auto",
            )


def check_servers(spec: StackSpec) -> None:
    seen: set[str] = set()
    for index, server in enumerate(spec.servers):
        key = f"servestack:servers[{index}]"
        if server.name in seen:
            raise KeyedError(f"{key}.name", f"duplicate server name {server.name!r}")
        seen.add(server.name)
        if spec.is_local:
            if server.node_pool is not None:
                raise KeyedError(f"{key}.nodePool", "a local stack has no node pools")
            if server.resources.gpus:
                raise KeyedError(f"{key}.resources.gpus", "a local stack is CPU only")
            continue
        pool = spec.pool(server.node_pool)
        if pool is None:
            names = ", ".join(p.name for p in spec.node_pools)
            raise KeyedError(
                f"{key}.nodePool",
                f"unknown node pool {server.node_pool!r}; allowed: {names}",
            )
        if pool.gpu is None and server.resources.gpus:
            raise KeyedError(f"{key}.resources.gpus", f"node pool {pool.name!r} has no GPU")
        # A GPU pool's server without a GPU request is left to the policy pack's
        # gpu-scheduling rule: it schedules, but wastes a GPU node.
        if pool.gpu is not None and server.resources.gpus > pool.gpu.count:
            raise KeyedError(
                f"{key}.resources.gpus",
                f"{server.resources.gpus} > {pool.gpu.count} GPUs per node in {pool.name!r}",
            )
