"""Pure builders: the typed pulumi_gcp args of every bootstrap resource, from plain data."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from bootstrap.config import GithubSpec, KmsSpec, StateSpec

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
POOL_ID = "github"
PROVIDER_ID = "github-oidc"

# GitHub's OIDC claims the provider maps, by Google attribute
# (https://docs.github.com/en/actions/reference/security/oidc#understanding-the-oidc-token;
# mapping syntax: https://cloud.google.com/iam/docs/workload-identity-federation#mapping).
ATTRIBUTE_MAPPING: dict[str, str] = {
    "google.subject": "assertion.sub",
    "attribute.repository_id": "assertion.repository_id",
    "attribute.repository_owner_id": "assertion.repository_owner_id",
    "attribute.environment": "assertion.environment",
    "attribute.workflow": "assertion.workflow",
    "attribute.event_name": "assertion.event_name",
}


def service_args(project: str, api: str) -> gcp.projects.ServiceArgs:
    """An API left on when the bootstrap is destroyed: other stacks' resources depend on it."""
    return gcp.projects.ServiceArgs(
        project=project, service=api, disable_on_destroy=False, disable_dependent_services=False
    )


def hardened_bucket_args(
    name: str, project: str, location: str, labels: dict[str, str]
) -> gcp.storage.BucketArgs:
    return gcp.storage.BucketArgs(
        name=name,
        project=project,
        location=location,
        uniform_bucket_level_access=True,
        public_access_prevention="enforced",
        versioning=gcp.storage.BucketVersioningArgs(enabled=True),
        force_destroy=False,
        labels=labels,
    )


def state_bucket_args(
    state: StateSpec, project: str, labels: dict[str, str]
) -> gcp.storage.BucketArgs:
    """Versioned, uniform access, never public; old state versions expire by count and age.

    Pulumi rewrites `.pulumi/stacks/<project>/<stack>.json` on every update, so each update
    leaves one noncurrent version; both rules act on noncurrent versions only
    (https://cloud.google.com/storage/docs/lifecycle#numberofnewerversions,
    #dayssincenoncurrenttime).
    """
    args = hardened_bucket_args(state.bucket, project, state.location, labels)
    args.lifecycle_rules = [
        gcp.storage.BucketLifecycleRuleArgs(
            action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
            condition=gcp.storage.BucketLifecycleRuleConditionArgs(
                num_newer_versions=state.noncurrent_versions, with_state="ARCHIVED"
            ),
        ),
        gcp.storage.BucketLifecycleRuleArgs(
            action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
            condition=gcp.storage.BucketLifecycleRuleConditionArgs(
                days_since_noncurrent_time=state.noncurrent_days, with_state="ARCHIVED"
            ),
        ),
    ]
    return args


def key_ring_args(project: str, location: str, name: str) -> gcp.kms.KeyRingArgs:
    return gcp.kms.KeyRingArgs(project=project, location=location, name=name)


def rotation(days: int) -> str:
    return f"{days * 86400}s"


def crypto_key_args(
    name: str, key_ring: pulumi.Input[str], rotation_days: int, labels: dict[str, str]
) -> gcp.kms.CryptoKeyArgs:
    """A symmetric key, rotated; old versions stay so old ciphertexts still decrypt."""
    return gcp.kms.CryptoKeyArgs(
        name=name,
        key_ring=key_ring,
        purpose="ENCRYPT_DECRYPT",
        rotation_period=rotation(rotation_days),
        labels=labels,
    )


def pulumi_key_name(stack: str) -> str:
    return f"pulumi-{stack}"


def secrets_provider_url(project: str, kms: KmsSpec, stack: str) -> str:
    """The `secretsprovider:` of a servestack stack file (https://www.pulumi.com/docs/iac/concepts/secrets/#configuring-secrets-encryption)."""
    return (
        f"gcpkms://projects/{project}/locations/{kms.location}/keyRings/{kms.key_ring}"
        f"/cryptoKeys/{pulumi_key_name(stack)}"
    )


def attribute_condition(github: GithubSpec) -> str:
    """Only the one repository, by its immutable ids: names can be re-registered.

    https://cloud.google.com/iam/docs/workload-identity-federation-with-deployment-pipelines#conditions
    """
    return (
        f"assertion.repository_id == '{github.repository_id}' && "
        f"assertion.repository_owner_id == '{github.repository_owner_id}'"
    )


def pool_args(project: str) -> gcp.iam.WorkloadIdentityPoolArgs:
    return gcp.iam.WorkloadIdentityPoolArgs(
        project=project,
        workload_identity_pool_id=POOL_ID,
        display_name="GitHub Actions",
        description="servestack workflows, one repository",
    )


def provider_args(project: str, github: GithubSpec) -> gcp.iam.WorkloadIdentityPoolProviderArgs:
    return gcp.iam.WorkloadIdentityPoolProviderArgs(
        project=project,
        workload_identity_pool_id=POOL_ID,
        workload_identity_pool_provider_id=PROVIDER_ID,
        display_name="GitHub OIDC",
        attribute_mapping=ATTRIBUTE_MAPPING,
        attribute_condition=attribute_condition(github),
        oidc=gcp.iam.WorkloadIdentityPoolProviderOidcArgs(issuer_uri=GITHUB_ISSUER),
    )


def provider_name(project_number: str) -> str:
    """What google-github-actions/auth takes as `workload_identity_provider`."""
    return (
        f"projects/{project_number}/locations/global/workloadIdentityPools/{POOL_ID}"
        f"/providers/{PROVIDER_ID}"
    )


def principal_set(project_number: str, attribute: str, value: str) -> str:
    """All identities of the pool with one mapped attribute value.

    https://cloud.google.com/iam/docs/principal-identifiers#workload-identity-federation
    """
    return (
        f"principalSet://iam.googleapis.com/projects/{project_number}/locations/global"
        f"/workloadIdentityPools/{POOL_ID}/attribute.{attribute}/{value}"
    )


def gke_service_agent(project_number: str) -> str:
    """https://cloud.google.com/kubernetes-engine/docs/how-to/encrypting-secrets#grant_permission"""
    return f"serviceAccount:service-{project_number}@container-engine-robot.iam.gserviceaccount.com"
