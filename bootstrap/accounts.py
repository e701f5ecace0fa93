"""Who the bootstrap creates and what each may do: the grant plan, as plain data.

Every role granted anywhere is listed once in docs/iam.md (who, role, on what, why);
tests/bootstrap/test_iam_table.py reads every IAM grant of every plan (this one and every
servestack stack) and fails on a primitive role or on a grant the table does not list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bootstrap.config import BootstrapSpec
from bootstrap.targets import Target

PREFIX = "servestack"
PRIMITIVE_ROLES = frozenset({"roles/owner", "roles/editor", "roles/viewer"})


def deployer_id(stack: str) -> str:
    return f"{PREFIX}-deploy-{stack}"[:30].rstrip("-")


PREVIEWER = f"{PREFIX}-preview"
DRIFT = f"{PREFIX}-drift"
CANARY = f"{PREFIX}-canary"
PUBLISHER = f"{PREFIX}-publisher"

# Where a grant lands: the resource kinds an IAM member binds to.
PROJECT, BUCKET, KEY, ACCOUNT = "project", "bucket", "cryptoKey", "serviceAccount"


@dataclass(frozen=True)
class Grant:
    """One role for one principal on one resource. `who` names a principal of the plan:
    an account id the bootstrap creates, or `gke-agent:<project>`, or a literal member."""

    who: str
    role: str
    on: str
    target: str
    why: str
    condition: tuple[str, str] | None = None
    """(title, CEL expression) of an IAM condition narrowing the grant."""


def _modified_roles_only(roles: Sequence[str]) -> str:
    """CEL that lets a project IAM admin grant or revoke only these roles.

    https://cloud.google.com/iam/docs/setting-limits-on-granting-roles (the
    `iam.googleapis.com/modifiedGrantsByRole` attribute, with `hasOnly`).
    """
    listed = ", ".join(f"'{r}'" for r in sorted(roles))
    return f"api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([{listed}])"


def deployer_grants(target: Target, state_bucket: str, secrets_key: str) -> list[Grant]:
    """What `pulumi up` of one servestack stack declares, in that stack's project."""
    who, project = deployer_id(target.stack), target.project
    grants = [
        Grant(
            who,
            "roles/container.clusterAdmin",
            PROJECT,
            project,
            "create and update the cluster and its node pools",
        ),
        Grant(
            who,
            "roles/container.developer",
            PROJECT,
            project,
            "apply the stack's Kubernetes objects (namespace, workloads, services, "
            "autoscalers, disruption budgets, network policies)",
        ),
        Grant(
            who,
            "roles/compute.networkAdmin",
            PROJECT,
            project,
            "the stack's VPC and subnet with its secondary ranges",
        ),
        Grant(
            who,
            "roles/artifactregistry.admin",
            PROJECT,
            project,
            "the model image repository, its cleanup policy and its reader grant to the "
            "nodes; pushes the images it builds",
        ),
        Grant(
            who,
            "roles/iam.serviceAccountAdmin",
            PROJECT,
            project,
            "create the node service account",
        ),
        Grant(
            who,
            "roles/iam.serviceAccountUser",
            PROJECT,
            project,
            "node pools run as the node service account (actAs)",
        ),
        Grant(
            who,
            "roles/resourcemanager.projectIamAdmin",
            PROJECT,
            project,
            "grant the node account its project roles; an IAM condition allows only those roles",
            ("node-roles-only", _modified_roles_only(target.node_roles)),
        ),
        Grant(
            who,
            "roles/storage.objectAdmin",
            BUCKET,
            state_bucket,
            "read and write the stack's state, history and lock files",
        ),
        Grant(
            who,
            "roles/cloudkms.cryptoKeyEncrypterDecrypter",
            KEY,
            secrets_key,
            "the stack's Pulumi secrets provider (gcpkms://): encrypt and decrypt its "
            "config and state secrets",
        ),
    ]
    grants += [
        Grant(
            who,
            "roles/storage.objectViewer",
            BUCKET,
            bucket,
            "`servestack models fetch` in the deploy job reads the locked model versions "
            "the images are built from",
        )
        for bucket in target.model_buckets
    ]
    return grants


def reviewer_grants(
    targets: Sequence[Target], state_bucket: str, keys: dict[str, str]
) -> list[Grant]:
    """The previewer, the drift checker and the canary analyser, on every stack."""
    grants: list[Grant] = []
    for t in targets:
        grants += [
            # Server-side dry-run is authorised exactly like the write it simulates
            # (https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run:
            # "authorization ... is the same as for a non-dry-run request"), so a preview of
            # Kubernetes objects needs write RBAC: cloud previews run for same-repository
            # pull requests only; fork pull requests get the offline diff.
            Grant(
                PREVIEWER,
                "roles/container.developer",
                PROJECT,
                t.project,
                "pulumi preview dry-runs the Kubernetes objects server-side, which is "
                "authorised like a write. Same-repository pull requests only",
            ),
            Grant(
                PREVIEWER,
                "roles/container.clusterViewer",
                PROJECT,
                t.project,
                "read the cluster for its endpoint and CA",
            ),
            Grant(
                DRIFT,
                "roles/container.viewer",
                PROJECT,
                t.project,
                "refresh the cluster, node pools and Kubernetes objects (read-only)",
            ),
            Grant(
                DRIFT,
                "roles/compute.networkViewer",
                PROJECT,
                t.project,
                "refresh the VPC and subnet",
            ),
            Grant(
                DRIFT, "roles/artifactregistry.reader", PROJECT, t.project, "refresh the repository"
            ),
            Grant(
                DRIFT,
                "roles/iam.serviceAccountViewer",
                PROJECT,
                t.project,
                "refresh the node service account",
            ),
            Grant(
                DRIFT,
                "roles/iam.securityReviewer",
                PROJECT,
                t.project,
                "refresh the IAM grants (read IAM policies; no data access)",
            ),
            Grant(
                CANARY,
                "roles/monitoring.viewer",
                PROJECT,
                t.project,
                "read serving metrics to judge a canary against the stable track",
            ),
        ]
    for who in (PREVIEWER, DRIFT):
        grants.append(
            Grant(
                who,
                "roles/storage.objectViewer",
                BUCKET,
                state_bucket,
                "read the stacks' state (a DIY-backend preview takes no lock: "
                "pulumi/pulumi pkg/backend/diy/backend.go, diyBackend.Preview)",
            )
        )
        grants += [
            Grant(
                who,
                "roles/cloudkms.cryptoKeyDecrypter",
                KEY,
                key,
                "decrypt the stack's secrets to preview it",
            )
            for key in (keys[s] for s in sorted(keys))
        ]
    return grants


def publisher_grants(spec: BootstrapSpec, buckets: Sequence[str]) -> list[Grant]:
    grants: list[Grant] = []
    for bucket in buckets:
        grants += [
            Grant(
                PUBLISHER,
                "roles/storage.objectCreator",
                BUCKET,
                bucket,
                "`servestack models publish` uploads a new version (create-only: "
                "ifGenerationMatch=0, never an overwrite)",
            ),
            Grant(
                PUBLISHER,
                "roles/storage.objectViewer",
                BUCKET,
                bucket,
                "publish first lists the version's prefix to refuse a second publish",
            ),
        ]
    grants += [
        Grant(
            member,
            "roles/iam.serviceAccountTokenCreator",
            ACCOUNT,
            PUBLISHER,
            "impersonate the model publisher (`gcloud auth ... --impersonate-service-account`)",
        )
        for member in spec.model_publishers
    ]
    return grants


def gke_agent_grants(targets: Sequence[Target]) -> list[Grant]:
    """GKE encrypts Kubernetes Secrets with the stack's key as its own service agent.

    https://cloud.google.com/kubernetes-engine/docs/how-to/encrypting-secrets#grant_permission
    """
    return [
        Grant(
            f"gke-agent:{t.project}",
            "roles/cloudkms.cryptoKeyEncrypterDecrypter",
            KEY,
            t.secrets_key.id,
            "application-layer encryption of Kubernetes Secrets",
        )
        for t in targets
        if t.secrets_key is not None
    ]


def accounts(targets: Sequence[Target]) -> dict[str, str]:
    """Account id -> display name of every service account the bootstrap creates."""
    found = {deployer_id(t.stack): f"servestack deployer of stack {t.stack}" for t in targets}
    found[PREVIEWER] = "servestack previewer (same-repository pull requests)"
    found[DRIFT] = "servestack drift checker (read-only)"
    found[CANARY] = "servestack canary analyser (monitoring read)"
    found[PUBLISHER] = "servestack model publisher (create-only uploads)"
    return dict(sorted(found.items()))


IAM_GRANT_TYPES = frozenset(
    {
        "gcp:projects/iAMMember:IAMMember",
        "gcp:serviceaccount/iAMMember:IAMMember",
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
        "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
    }
)
_LABELS = {
    PREVIEWER: "previewer",
    DRIFT: "drift checker",
    CANARY: "canary analyser",
    PUBLISHER: "model publisher",
}


def principal(member: str) -> str:
    """The row of docs/iam.md a member belongs to: a kind of principal, not one identity."""
    kind, _, rest = member.partition(":")
    if kind == "principalSet":
        attribute = rest.rsplit("/", 2)[-2:]
        if attribute[0] == "attribute.environment":
            return "GitHub deploy jobs (environment = stack)"
        if attribute[0] == "attribute.workflow":
            return f"GitHub {attribute[1]} workflow"
    if kind == "serviceAccount":
        # A Kubernetes service account through Workload Identity: `<project>.svc.id.goog[ns/ksa]`.
        if rest.endswith("[custom-metrics/custom-metrics-stackdriver-adapter]"):
            return "metrics adapter's Kubernetes service account"
        account, _, domain = rest.partition("@")
        if domain == "container-engine-robot.iam.gserviceaccount.com":
            return "GKE service agent"
        if account in _LABELS:
            return _LABELS[account]
        if account.startswith(f"{PREFIX}-deploy-"):
            return "deployer (one per stack)"
        if account.endswith("-nodes"):
            return "node account (one per stack)"
        if account.endswith("-metrics"):
            return "metrics adapter (stacks with a custom metric)"
    if kind in {"group", "user", "domain"}:
        return "modelPublishers (bootstrap config)"
    return f"unknown principal {member}"


def scope(resource_type: str, inputs: dict[str, object], state_bucket: str) -> str:
    """The "On" column of docs/iam.md for one captured grant."""
    if resource_type == "gcp:projects/iAMMember:IAMMember":
        return "project"
    if resource_type == "gcp:storage/bucketIAMMember:BucketIAMMember":
        return "state bucket" if inputs.get("bucket") == state_bucket else "model bucket"
    if resource_type == "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember":
        key = str(inputs.get("cryptoKeyId", ""))
        return "Pulumi secrets key" if "/cryptoKeys/pulumi-" in key else "GKE secrets key"
    if resource_type == "gcp:serviceaccount/iAMMember:IAMMember":
        return "service account"
    if resource_type == "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember":
        return "repository"
    return f"unknown scope {resource_type}"
