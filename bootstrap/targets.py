"""What each servestack stack needs from day 0, read from its own stack file (pure).

The APIs follow what the stack declares, not a fixed list: each resource type the program
registers is served by one Google API, and a stack setting switches the optional ones on
(tests/bootstrap/test_apis.py checks the mapping against every stack's captured plan).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from infra.config import ConfigError, StackSpec
from infra.preview.stackfile import load_spec

# The Google API behind each GCP resource type a servestack stack declares.
API_OF_TYPE: dict[str, str] = {
    "gcp:container/cluster:Cluster": "container.googleapis.com",
    "gcp:container/nodePool:NodePool": "container.googleapis.com",
    "gcp:compute/network:Network": "compute.googleapis.com",
    "gcp:compute/subnetwork:Subnetwork": "compute.googleapis.com",
    "gcp:artifactregistry/repository:Repository": "artifactregistry.googleapis.com",
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": (
        "artifactregistry.googleapis.com"
    ),
    "gcp:serviceaccount/account:Account": "iam.googleapis.com",
    "gcp:projects/iAMMember:IAMMember": "cloudresourcemanager.googleapis.com",
}

_KEY = re.compile(
    r"^projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/keyRings/(?P<ring>[^/]+)"
    r"/cryptoKeys/(?P<key>[^/]+)$"
)


@dataclass(frozen=True)
class KeyRef:
    """A KMS key named by a full id, split into the parts the KMS resources take."""

    project: str
    location: str
    ring: str
    key: str

    @property
    def ring_id(self) -> str:
        return f"projects/{self.project}/locations/{self.location}/keyRings/{self.ring}"

    @property
    def id(self) -> str:
        return f"{self.ring_id}/cryptoKeys/{self.key}"


def parse_key(key_id: str) -> KeyRef:
    found = _KEY.match(key_id)
    if found is None:
        raise ValueError(f"not a KMS key id: {key_id}")
    return KeyRef(found["project"], found["location"], found["ring"], found["key"])


@dataclass(frozen=True)
class Target:
    """One servestack stack as the bootstrap sees it."""

    stack: str
    project: str
    region: str
    cluster: str
    apis: tuple[str, ...]
    secrets_key: KeyRef | None
    """GKE application-layer secrets encryption key the stack names, if any."""
    model_buckets: tuple[str, ...]
    """Buckets the stack's model sources live in (the deploy job fetches from them)."""
    node_roles: tuple[str, ...]
    """Project roles the stack grants its node account (the deployer may grant only these)."""


def required_apis(spec: StackSpec) -> tuple[str, ...]:
    """Google APIs a GKE stack's resources and settings need, sorted."""
    cluster = spec.cluster
    if cluster is None:
        return ()
    apis = {
        "container.googleapis.com",  # cluster, node pools
        "compute.googleapis.com",  # VPC, subnet; GKE's nodes are Compute Engine VMs
        "artifactregistry.googleapis.com",  # the model image repository
        "iam.googleapis.com",  # the node service account
        "cloudresourcemanager.googleapis.com",  # project IAM bindings of the node account
        # Image streaming is on for every pool (infra/platform/nodepool.py gcfs_config):
        # https://cloud.google.com/kubernetes-engine/docs/how-to/image-streaming#requirements
        "containerfilesystem.googleapis.com",
        # GKE system logs and metrics always go to Cloud Logging / Monitoring:
        # https://cloud.google.com/kubernetes-engine/docs/how-to/config-logging-monitoring
        "logging.googleapis.com",
        "monitoring.googleapis.com",
    }
    if cluster.binary_authorization:
        apis.add("binaryauthorization.googleapis.com")
    if cluster.secrets_encryption_key:
        apis.add("cloudkms.googleapis.com")
    return tuple(sorted(apis))


def model_buckets(spec: StackSpec) -> tuple[str, ...]:
    found = {
        m.source.uri.removeprefix("gs://").split("/", 1)[0]
        for server in spec.servers
        for m in server.models
        if m.source.uri and m.source.uri.startswith("gs://")
    }
    return tuple(sorted(found))


def node_roles(spec: StackSpec) -> tuple[str, ...]:
    """Project roles the stack's deployer may grant: its node roles, plus monitoring.viewer
    for the metrics adapter where a server scales on a custom metric."""
    from infra.config.metrics import uses_custom_metrics
    from infra.platform.identity import NODE_PROJECT_ROLES
    from infra.serving.metrics_adapter import MONITORING_VIEWER

    extra = list(spec.cluster.node_service_account_roles if spec.cluster else [])
    if uses_custom_metrics(spec):
        extra.append(MONITORING_VIEWER)
    return tuple(sorted({*NODE_PROJECT_ROLES, *extra}))


def target_of(spec: StackSpec, file: str) -> Target:
    if spec.cluster is None or spec.gcp_project is None:
        raise ConfigError(file, "servestack:cluster", "the bootstrap prepares GKE stacks only")
    key = spec.cluster.secrets_encryption_key
    return Target(
        stack=spec.stack,
        project=spec.gcp_project,
        region=spec.gcp_region or spec.cluster.location.rsplit("-", 1)[0],
        cluster=spec.cluster.name,
        apis=required_apis(spec),
        secrets_key=parse_key(key) if key else None,
        model_buckets=model_buckets(spec),
        node_roles=node_roles(spec),
    )


def load_targets(root: Path, stacks: list[str]) -> list[Target]:
    """Every named servestack stack file, validated as servestack validates it."""
    from infra.config import stack_file

    return [target_of(load_spec(root, stack), stack_file(stack)) for stack in stacks]
