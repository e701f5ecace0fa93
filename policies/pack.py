"""The servestack policy pack: every policy, in one list the CLI and the offline engine share."""

from __future__ import annotations

from pulumi_policy import Policy

from policies import (
    canary,
    cluster,
    containers,
    cost,
    day0,
    exposure,
    iam,
    images,
    labels,
    probes,
    rollout,
    security,
)

PACK_NAME = "servestack"

POLICIES: list[Policy] = [
    *images.POLICIES,
    *containers.POLICIES,
    *probes.POLICIES,
    *security.POLICIES,
    *rollout.POLICIES,
    *canary.POLICIES,
    *exposure.POLICIES,
    *cluster.POLICIES,
    *iam.POLICIES,
    *cost.POLICIES,
    *labels.POLICIES,
    *day0.POLICIES,
]
