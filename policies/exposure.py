"""Exposure rules: no NodePort, no external load balancer open to the whole internet."""

from __future__ import annotations

from collections.abc import Iterator

from policies.base import Config, Resource, resource_policy
from policies.values import UNKNOWN, as_dict, as_list, get, is_unknown
from policies.workloads import kind_of

INTERNAL_ANNOTATIONS = (
    "networking.gke.io/load-balancer-type",
    "cloud.google.com/load-balancer-type",
)
OPEN_RANGES = {"0.0.0.0/0", "::/0"}


def _service_type(resource: Resource) -> object:
    if kind_of(resource.type, resource.props) != "Service":
        return None
    return get(resource.props, "spec", "type")


def check_load_balancer(resource: Resource, config: Config) -> Iterator[str]:
    if _service_type(resource) != "LoadBalancer":
        return
    annotations = get(resource.props, "metadata", "annotations")
    if annotations is UNKNOWN:
        return
    if any(as_dict(annotations).get(key) == "Internal" for key in INTERNAL_ANNOTATIONS):
        return
    ranges = get(resource.props, "spec", "loadBalancerSourceRanges")
    if ranges is UNKNOWN:
        return
    known = [r for r in as_list(ranges) if not is_unknown(r)]
    if not as_list(ranges):
        yield "external LoadBalancer without loadBalancerSourceRanges"
    elif OPEN_RANGES.intersection(known):
        yield "external LoadBalancer open to 0.0.0.0/0"


def check_node_port(resource: Resource, config: Config) -> Iterator[str]:
    if _service_type(resource) == "NodePort":
        yield "Service of type NodePort exposes every node"


POLICIES = [
    resource_policy(
        "no-public-load-balancer",
        "An external LoadBalancer Service restricts loadBalancerSourceRanges.",
        check_load_balancer,
    ),
    resource_policy(
        "no-node-port",
        "Services are not of type NodePort.",
        check_node_port,
    ),
]
