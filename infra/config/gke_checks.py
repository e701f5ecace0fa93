"""GKE's rules (infra/gke/) applied to a stack file, each violation named by its dotted key.

The rules themselves are pure and cite GKE's documentation; this module only maps stack-file
sections onto them and raises the first violation as a `KeyedError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from infra.config.errors import KeyedError
from infra.gke import Violation
from infra.gke.cidrs import check_ranges
from infra.gke.locations import check_accelerator_zones
from infra.gke.maintenance import Exclusion, check_window
from infra.gke.names import check_gcp_labels, check_node_labels

if TYPE_CHECKING:
    from infra.config.cluster import ClusterSpec
    from infra.config.stack import StackSpec


def _raise_first(prefix: str, violations: Iterable[Violation]) -> None:
    for violation in violations:
        key = f"{prefix}.{violation.path}" if violation.path else prefix
        raise KeyedError(key, violation.message)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def check_maintenance(cluster: ClusterSpec) -> None:
    window = cluster.maintenance
    exclusions = [Exclusion(_time(e.start), _time(e.end), e.scope) for e in window.exclusions]
    _raise_first(
        "servestack:cluster.maintenance",
        check_window(_time(window.start), _time(window.end), window.recurrence, exclusions),
    )


def check_network(cluster: ClusterSpec) -> None:
    net = cluster.network
    ranges = {"subnetCidr": net.subnet_cidr, "podsCidr": net.pods_cidr}
    ranges["servicesCidr"] = net.services_cidr
    if net.proxy_only_cidr is not None:
        ranges["proxyOnlyCidr"] = net.proxy_only_cidr
    master = cluster.private.master_cidr if cluster.private.enabled else None
    violations = check_ranges(ranges, master)
    for violation in violations:
        section = "private" if violation.path == "masterCidr" else "network"
        raise KeyedError(f"servestack:cluster.{section}.{violation.path}", violation.message)


def check_gke(spec: StackSpec) -> None:
    """Every GKE rule over a GKE stack; a local stack has nothing GKE would judge."""
    cluster = spec.cluster
    if cluster is None:
        return
    check_maintenance(cluster)
    check_network(cluster)
    _raise_first("servestack:labels", check_gcp_labels(spec.labels.as_dict()))
    for index, pool in enumerate(spec.node_pools):
        key = f"servestack:nodePools[{index}]"
        _raise_first(f"{key}.labels", check_node_labels(pool.labels))
        if pool.gpu is not None:
            _raise_first(
                f"{key}.gpu",
                check_accelerator_zones(pool.gpu.type, cluster.location, cluster.accelerator_zones),
            )
