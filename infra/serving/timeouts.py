"""How long a rollout may take, from the stack's startup timeout and the server's size."""

from __future__ import annotations

import math

from infra.config import ServerSpec

# Scheduling, image pull and endpoint propagation on top of the model load itself.
POD_OVERHEAD_SECONDS = 120


def progress_deadline_seconds(server: ServerSpec) -> int:
    """The Deployment fails its rollout when one wave of new pods makes no progress this long."""
    return server.rollout.startup_timeout_seconds + POD_OVERHEAD_SECONDS


def rollout_timeout_seconds(server: ServerSpec) -> int:
    """Upper bound of a full rolling update at the autoscaler's maximum size.

    Pods are replaced `maxSurge` at a time; each wave waits for a start and a drain.
    """
    waves = math.ceil(server.autoscaling.max / server.rollout.max_surge)
    per_wave = progress_deadline_seconds(server) + server.rollout.termination_grace_seconds
    return waves * per_wave


def pulumi_duration(seconds: int) -> str:
    """A Go duration in whole minutes, as Pulumi's custom timeouts take it."""
    return f"{math.ceil(seconds / 60)}m"
