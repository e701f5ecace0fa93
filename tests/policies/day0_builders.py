"""Compliant day-0 resources (the bootstrap's shapes); tests break one setting at a time."""

from __future__ import annotations

from typing import Any

from tests.policies import builders as b

CONDITION = "assertion.repository_id == '812734019' && assertion.repository_owner_id == '90311455'"


def bucket(**changes: Any) -> dict[str, Any]:
    inputs = {
        "name": "acme-servestack-pulumi-state",
        "location": "EU",
        "uniformBucketLevelAccess": True,
        "publicAccessPrevention": "enforced",
        "versioning": {"enabled": True},
        "labels": dict(b.STACK_LABELS),
        **changes,
    }
    return b.resource("gcp:storage/bucket:Bucket", "state-bucket", inputs)


def provider(
    condition: str = CONDITION, issuer: str = "https://token.actions.githubusercontent.com"
) -> dict[str, Any]:
    inputs = {
        "workloadIdentityPoolId": "github",
        "workloadIdentityPoolProviderId": "github-oidc",
        "attributeCondition": condition,
        "oidc": {"issuerUri": issuer},
    }
    return b.resource(
        "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider", "github", inputs
    )


def key(**changes: Any) -> dict[str, Any]:
    inputs = {
        "name": "pulumi-prod",
        "keyRing": "projects/p/locations/europe-west4/keyRings/servestack",
        "rotationPeriod": "7776000s",
        "labels": dict(b.STACK_LABELS),
        **changes,
    }
    return b.resource("gcp:kms/cryptoKey:CryptoKey", "pulumi-prod", inputs)


def grant(member: str = "serviceAccount:x@p.iam.gserviceaccount.com") -> dict[str, Any]:
    inputs = {"bucket": "acme-ml-models", "role": "roles/storage.objectViewer", "member": member}
    return b.resource("gcp:storage/bucketIAMMember:BucketIAMMember", "models-read", inputs)
