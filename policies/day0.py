"""Day-0 rules: what the bootstrap declares (state bucket, GitHub federation, KMS keys, IAM).

They judge any stack, so a servestack stack that ever declares a bucket or a key is held
to the same bar.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from policies.base import Config, Resource, resource_policy
from policies.values import as_dict, as_list, get, is_unknown

BUCKET = "gcp:storage/bucket:Bucket"
WIF_PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})
MAX_ROTATION_SECONDS = 90 * 86400


def check_bucket(resource: Resource, config: Config) -> Iterator[str]:
    """Uniform access, public access prevented, versioned: state and models are never public."""
    if resource.type != BUCKET:
        return
    props = resource.props
    if get(props, "uniformBucketLevelAccess") is not True:
        yield "uniformBucketLevelAccess must be true (no per-object ACLs)"
    if get(props, "publicAccessPrevention") != "enforced":
        yield "publicAccessPrevention must be 'enforced'"
    if get(props, "versioning", "enabled") is not True:
        yield "versioning.enabled must be true (an overwritten state file can be restored)"


def check_wif_provider(resource: Resource, config: Config) -> Iterator[str]:
    """A GitHub provider admits one repository by its immutable ids, never by name alone.

    Repository and owner names can be re-registered by someone else after a rename or
    deletion; `repository_id` / `repository_owner_id` cannot
    (https://docs.github.com/en/actions/reference/security/oidc#understanding-the-oidc-token).
    """
    if resource.type != WIF_PROVIDER:
        return
    if get(resource.props, "oidc", "issuerUri") != GITHUB_ISSUER:
        return
    condition = get(resource.props, "attributeCondition")
    if is_unknown(condition):
        return
    text = condition if isinstance(condition, str) else ""
    for claim in ("repository_id", "repository_owner_id"):
        if not re.search(rf"assertion\.{claim}\s*==\s*['\"]\d+['\"]", text):
            yield f"attributeCondition must pin assertion.{claim} to a numeric id"


def check_key_rotation(resource: Resource, config: Config) -> Iterator[str]:
    if resource.type != CRYPTO_KEY:
        return
    period = get(resource.props, "rotationPeriod")
    if "rotationPeriod" in resource.props and is_unknown(period):
        return
    found = re.fullmatch(r"(\d+)(\.\d+)?s", str(period or ""))
    if found is None:
        yield "rotationPeriod must be set (e.g. 7776000s, 90 days)"
    elif int(found[1]) > MAX_ROTATION_SECONDS:
        yield f"rotationPeriod {period} is longer than 90 days"


def check_public_members(resource: Resource, config: Config) -> Iterator[str]:
    if not resource.type.startswith("gcp:") or "iam" not in resource.type.lower():
        return
    member = get(resource.props, "member")
    members = [member, *as_list(as_dict(resource.props).get("members"))]
    for found in members:
        if isinstance(found, str) and found in PUBLIC_MEMBERS:
            yield f"grants {get(resource.props, 'role')} to {found}"


POLICIES = [
    resource_policy(
        "gcs-bucket-hardened",
        "Buckets use uniform access, enforce public access prevention and keep versions.",
        check_bucket,
    ),
    resource_policy(
        "wif-github-pinned",
        "A GitHub OIDC provider admits one repository by its immutable repository and owner ids.",
        check_wif_provider,
    ),
    resource_policy(
        "kms-key-rotation",
        "KMS keys rotate at least every 90 days.",
        check_key_rotation,
    ),
    resource_policy(
        "iam-no-public-members",
        "No IAM grant to allUsers or allAuthenticatedUsers.",
        check_public_members,
    ),
]
