"""Thin ComponentResources: each wires one concept's builder results into resources.

Children are named from the component's name and parented to it; each registers its outputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from bootstrap import builders
from bootstrap.accounts import ACCOUNT, BUCKET, KEY, PROJECT, Grant
from bootstrap.config import GithubSpec, StateSpec


def _slug(text: str) -> str:
    return text.removeprefix("roles/").replace(".", "-").replace("/", "-").lower()


@dataclass(frozen=True)
class ProjectApisArgs:
    project: str
    apis: Sequence[str]


class ProjectApis(pulumi.ComponentResource):
    """The Google APIs one project needs, each a `gcp.projects.Service`."""

    services: dict[str, gcp.projects.Service]
    """By API name, so a resource that needs an API can depend on it."""

    def __init__(
        self, name: str, args: ProjectApisArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servestack-bootstrap:index:ProjectApis", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.services = {
            api: gcp.projects.Service(
                f"{name}-{api.split('.', 1)[0]}", builders.service_args(args.project, api), child
            )
            for api in sorted(args.apis)
        }
        self.register_outputs({"apis": sorted(self.services)})


@dataclass(frozen=True)
class StateBucketArgs:
    state: StateSpec
    project: str
    labels: Mapping[str, str]
    storage_api: gcp.projects.Service


class StateBucket(pulumi.ComponentResource):
    """The Pulumi state backend: `pulumi login gs://<bucket>`."""

    bucket: gcp.storage.Bucket
    url: pulumi.Output[str]
    """The backend URL every stack logs in to (PULUMI_BACKEND_URL)."""

    def __init__(
        self, name: str, args: StateBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servestack-bootstrap:index:StateBucket", name, None, opts)
        self.bucket = gcp.storage.Bucket(
            f"{name}-bucket",
            builders.state_bucket_args(args.state, args.project, dict(args.labels)),
            pulumi.ResourceOptions(parent=self, protect=True, depends_on=[args.storage_api]),
        )
        self.url = self.bucket.name.apply(lambda n: f"gs://{n}")
        self.register_outputs({"url": self.url})


@dataclass(frozen=True)
class ModelBucketArgs:
    name: str
    project: str
    location: str
    labels: Mapping[str, str]
    storage_api: gcp.projects.Service


class ModelBucket(pulumi.ComponentResource):
    """A bucket of published model versions (the stack files' `source.uri`), never public."""

    bucket: gcp.storage.Bucket

    def __init__(
        self, name: str, args: ModelBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servestack-bootstrap:index:ModelBucket", name, None, opts)
        self.bucket = gcp.storage.Bucket(
            f"{name}-bucket",
            builders.hardened_bucket_args(
                args.name, args.project, args.location, dict(args.labels)
            ),
            pulumi.ResourceOptions(parent=self, protect=True, depends_on=[args.storage_api]),
        )
        self.register_outputs({"name": self.bucket.name})


@dataclass(frozen=True)
class KeysArgs:
    project: str
    location: str
    ring: str
    keys: Sequence[str]
    rotation_days: int
    labels: Mapping[str, str]
    kms_api: gcp.projects.Service


class Keys(pulumi.ComponentResource):
    """A key ring and symmetric keys in it; protected (KMS keys cannot be undeleted)."""

    keys: dict[str, gcp.kms.CryptoKey]

    def __init__(
        self, name: str, args: KeysArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servestack-bootstrap:index:Keys", name, None, opts)
        ring = gcp.kms.KeyRing(
            f"{name}-ring",
            builders.key_ring_args(args.project, args.location, args.ring),
            pulumi.ResourceOptions(parent=self, protect=True, depends_on=[args.kms_api]),
        )
        self.keys = {
            key: gcp.kms.CryptoKey(
                f"{name}-{key}",
                builders.crypto_key_args(key, ring.id, args.rotation_days, dict(args.labels)),
                pulumi.ResourceOptions(parent=self, protect=True),
            )
            for key in sorted(args.keys)
        }
        self.register_outputs({"keys": {k: v.id for k, v in self.keys.items()}})


@dataclass(frozen=True)
class GithubFederationArgs:
    project: str
    project_number: pulumi.Input[str]
    github: GithubSpec
    apis: Sequence[gcp.projects.Service]


class GithubFederation(pulumi.ComponentResource):
    """The Workload Identity pool and its GitHub OIDC provider, pinned to one repository."""

    provider_name: pulumi.Output[str]
    """`workload_identity_provider` of google-github-actions/auth."""

    def __init__(
        self, name: str, args: GithubFederationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servestack-bootstrap:index:GithubFederation", name, None, opts)
        pool = gcp.iam.WorkloadIdentityPool(
            f"{name}-pool",
            builders.pool_args(args.project),
            pulumi.ResourceOptions(parent=self, protect=True, depends_on=list(args.apis)),
        )
        provider = gcp.iam.WorkloadIdentityPoolProvider(
            f"{name}-provider",
            builders.provider_args(args.project, args.github),
            # Deleted pools and providers keep their ids for 30 days: protect both.
            pulumi.ResourceOptions(parent=self, protect=True, depends_on=[pool]),
        )
        self.provider_name = pulumi.Output.all(provider.id, args.project_number).apply(
            lambda parts: builders.provider_name(str(parts[1]))
        )
        self.register_outputs({"providerName": self.provider_name})


@dataclass(frozen=True)
class CiAccountsArgs:
    project: str
    accounts: Mapping[str, str]
    """Account id -> display name."""
    iam_api: gcp.projects.Service


class CiAccounts(pulumi.ComponentResource):
    """The service accounts CI and operators act as; none has a key."""

    accounts: dict[str, gcp.serviceaccount.Account]

    def __init__(
        self, name: str, args: CiAccountsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servestack-bootstrap:index:CiAccounts", name, None, opts)
        self.accounts = {
            account: gcp.serviceaccount.Account(
                f"{name}-{account}",
                gcp.serviceaccount.AccountArgs(
                    account_id=account, project=args.project, display_name=display
                ),
                pulumi.ResourceOptions(parent=self, depends_on=[args.iam_api]),
            )
            for account, display in sorted(args.accounts.items())
        }
        self.register_outputs({"emails": {k: a.email for k, a in self.accounts.items()}})


@dataclass(frozen=True)
class GrantsArgs:
    grants: Sequence[Grant]
    members: Mapping[str, pulumi.Input[str]]
    """`Grant.who` -> IAM member; a `who` not listed here is a literal member."""
    accounts: Mapping[str, gcp.serviceaccount.Account]
    keys: Mapping[str, gcp.kms.CryptoKey]
    """Full key id -> the key resource, so a key grant waits for its key."""
    buckets: Mapping[str, gcp.storage.Bucket]
    depends_on: Mapping[str, Sequence[pulumi.Resource]]
    """Extra dependencies by `Grant.who` (the GKE agent exists only once its API is on)."""


class Grants(pulumi.ComponentResource):
    """Every IAM member of the plan, one resource per grant, kind by where it lands."""

    def __init__(
        self, name: str, args: GrantsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servestack-bootstrap:index:Grants", name, None, opts)
        count = 0
        for grant in args.grants:
            member = args.members.get(grant.who, grant.who)
            extra = list(args.depends_on.get(grant.who, ()))
            child = pulumi.ResourceOptions(parent=self, depends_on=extra)
            condition = (
                gcp.projects.IAMMemberConditionArgs(
                    title=grant.condition[0], expression=grant.condition[1]
                )
                if grant.condition
                else None
            )
            who = grant.who.split(":", 1)[-1].split("@", 1)[0]
            base = f"{name}-{_slug(who)}-{_slug(grant.role)}-{_slug(grant.target)[-40:]}"
            if grant.on == PROJECT:
                gcp.projects.IAMMember(
                    base,
                    gcp.projects.IAMMemberArgs(
                        project=grant.target, role=grant.role, member=member, condition=condition
                    ),
                    child,
                )
            elif grant.on == BUCKET:
                bucket = args.buckets[grant.target]
                gcp.storage.BucketIAMMember(
                    base,
                    gcp.storage.BucketIAMMemberArgs(
                        bucket=bucket.name, role=grant.role, member=member
                    ),
                    child,
                )
            elif grant.on == KEY:
                gcp.kms.CryptoKeyIAMMember(
                    base,
                    gcp.kms.CryptoKeyIAMMemberArgs(
                        crypto_key_id=args.keys[grant.target].id, role=grant.role, member=member
                    ),
                    child,
                )
            elif grant.on == ACCOUNT:
                gcp.serviceaccount.IAMMember(
                    base,
                    gcp.serviceaccount.IAMMemberArgs(
                        service_account_id=args.accounts[grant.target].name,
                        role=grant.role,
                        member=member,
                    ),
                    child,
                )
            else:
                raise ValueError(f"unknown grant scope {grant.on!r}")
            count += 1
        self.register_outputs({"grants": count})
