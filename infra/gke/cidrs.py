"""Address ranges of a VPC-native cluster that GKE and VPC accept.

- Primary and secondary ranges of a subnet must not overlap one another
  (https://cloud.google.com/vpc/docs/subnets#valid-ranges).
- A range is a CIDR block: its address is the network address (10.40.0.0/14, not
  10.42.0.0/14, which is the same block written misleadingly).
- The control plane's range of a private cluster is a /28 that overlaps no range of the
  VPC (https://cloud.google.com/kubernetes-engine/docs/how-to/legacy/network-isolation,
  "master-ipv4-cidr"; https://cloud.google.com/kubernetes-engine/docs/concepts/alias-ips).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from infra.gke import Violation

MASTER_PREFIX = 28


def check_ranges(ranges: Mapping[str, str], master: str | None) -> list[Violation]:
    """`ranges` names each range by its key (subnetCidr, podsCidr, ...); none may overlap."""
    named: dict[str, ipaddress.IPv4Network | ipaddress.IPv6Network] = {}
    found: list[Violation] = []
    for key, value in {**ranges, **({"masterCidr": master} if master else {})}.items():
        try:
            named[key] = ipaddress.ip_network(value, strict=False)
        except ValueError:
            found.append(Violation(key, f"not an IPv4 range (got {value!r})"))
            continue
        if str(named[key]) != value:
            # The range GCP would use is the network address; the written one misleads.
            found.append(Violation(key, f"{value} has host bits set: the range is {named[key]}"))
    if "masterCidr" in named and named["masterCidr"].prefixlen != MASTER_PREFIX:
        found.append(Violation("masterCidr", f"must be a /28 (got {master})"))
    keys = list(named)
    for i, first in enumerate(keys):
        for second in keys[i + 1 :]:
            if named[first].overlaps(named[second]):
                found.append(
                    Violation(
                        second,
                        f"{named[second]} overlaps {first} {named[first]}; GKE needs "
                        "disjoint node, pod, service and control-plane ranges",
                    )
                )
    return found
