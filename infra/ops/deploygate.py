"""What a deploy job settles before `pulumi up`: the stack's facts and its pinned bases.

Both run before any credential is used, so a wrong project or an unpinned base stops the
job in its first minute instead of in the middle of an update.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.config import ConfigError, StackSpec
from infra.config.shared import stack_file
from infra.images.baseimage import LOCK_FILE, BaseImage, base_image


class GateError(ConfigError):
    """The stack may not be deployed as it stands; names the file and key."""


@dataclass(frozen=True)
class StackFacts:
    """What the workflow's shell needs: the GKE cluster and the servers to smoke-test."""

    project: str
    cluster: str
    location: str
    namespace: str
    servers: tuple[str, ...]

    def github_output(self) -> str:
        """`key=value` lines, the format of $GITHUB_OUTPUT (no value holds a newline)."""
        lines = [
            f"project={self.project}",
            f"cluster={self.cluster}",
            f"location={self.location}",
            f"namespace={self.namespace}",
            f"servers={' '.join(self.servers)}",
        ]
        return "\n".join(lines) + "\n"


def stack_facts(spec: StackSpec, expected_project: str) -> StackFacts:
    """The facts of a GKE stack, refusing a project other than the one CI deploys to.

    The workflow's project variable and the stack file's `gcp:project` must agree: the
    credentials are granted on one project and the program deploys into the other.
    """
    if spec.cluster is None:
        raise GateError(stack_file(spec.stack), "servestack:cluster", "a GKE stack needs it")
    if spec.gcp_project != expected_project:
        raise GateError(
            stack_file(spec.stack),
            "gcp:project",
            f"is {spec.gcp_project!r} but the workflow deploys to project "
            f"{expected_project!r} (variable GCP_PROJECT_{spec.stack.upper()})",
        )
    return StackFacts(
        project=spec.gcp_project,
        cluster=spec.cluster.name,
        location=spec.cluster.location,
        namespace=spec.serving.namespace,
        servers=tuple(server.name for server in spec.servers),
    )


def stack_bases(spec: StackSpec, lock: dict[str, str | None]) -> list[BaseImage]:
    """Every TF Serving base the stack's images are built on (CPU and/or GPU), sorted."""
    bases: dict[str, BaseImage] = {}
    for server in spec.servers:
        pool = spec.pool(server.node_pool)
        gpu = pool is not None and pool.gpu is not None
        base = base_image(lock, spec.images.tf_serving_version, gpu)
        bases[base.name] = base
    return [bases[name] for name in sorted(bases)]


def require_pinned_bases(
    spec: StackSpec, lock: dict[str, str | None], *, always: bool
) -> list[BaseImage]:
    """The stack's bases, all pinned; `always` ignores the stack's allowUnpinnedBase."""
    bases = stack_bases(spec, lock)
    unpinned = [base.name for base in bases if not base.pinned]
    if unpinned and (always or not spec.images.allow_unpinned_base):
        raise GateError(
            stack_file(spec.stack),
            "servestack:images.tfServingVersion",
            f"base image {', '.join(unpinned)} has no digest in {LOCK_FILE}; merge the "
            "pull request of the base-images workflow (or run `make lock-base-images`)",
        )
    return bases
