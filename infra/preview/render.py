"""The human view of a plan: one table per stack and a summary line."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from infra.preview.engine import Plan

# Per resource type, the input paths worth a reviewer's eye.
_KEY_SETTINGS: dict[str, tuple[str, ...]] = {
    "gcp:container/cluster:Cluster": (
        "location",
        "releaseChannel.channel",
        "privateClusterConfig.enablePrivateNodes",
        "datapathProvider",
        "deletionProtection",
    ),
    "gcp:container/nodePool:NodePool": (
        "nodeConfig.machineType",
        "nodeConfig.guestAccelerators.0.type",
        "nodeConfig.spot",
        "autoscaling.totalMaxNodeCount",
        "autoscaling.maxNodeCount",
    ),
    "gcp:artifactregistry/repository:Repository": (
        "location",
        "format",
        "dockerConfig.immutableTags",
    ),
    "gcp:serviceaccount/account:Account": ("accountId",),
    "gcp:projects/iAMMember:IAMMember": ("role",),
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": ("role",),
    "docker-build:index:Image": ("tags.0", "platforms.0", "push"),
    "kubernetes:apps/v1:Deployment": (
        "spec.replicas",
        "spec.template.spec.containers.0.image",
        "spec.template.spec.containers.0.resources.limits",
    ),
    "kubernetes:core/v1:Service": ("spec.type",),
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": ("spec.minReplicas", "spec.maxReplicas"),
    "kubernetes:policy/v1:PodDisruptionBudget": ("spec.maxUnavailable",),
    # The bootstrap's (bootstrap/).
    "gcp:projects/service:Service": ("project", "service"),
    "gcp:storage/bucket:Bucket": ("location", "versioning.enabled", "publicAccessPrevention"),
    "gcp:kms/cryptoKey:CryptoKey": ("rotationPeriod",),
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": ("role",),
    "gcp:storage/bucketIAMMember:BucketIAMMember": ("bucket", "role"),
    "gcp:serviceaccount/iAMMember:IAMMember": ("role",),
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": ("attributeCondition",),
}


def dig(value: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def key_settings(type_token: str, inputs: dict[str, Any]) -> str:
    parts = []
    for path in _KEY_SETTINGS.get(type_token, ()):
        value = dig(inputs, path)
        if value is None:
            continue
        if isinstance(value, dict):
            value = ",".join(f"{k}={v}" for k, v in sorted(value.items()))
        parts.append(f"{path.rsplit('.', 1)[-1] if path[-1].isalpha() else path}={value}")
    return " ".join(parts)


def summary_line(plan: Plan) -> str:
    """Counts of what the table shows (custom resources, by cloud), components apart."""
    custom = [r for r in plan.resources if r.custom]
    components = len(plan.resources) - len(custom)
    clouds = Counter(r.type.split(":", 1)[0] for r in custom)
    mandatory = len(plan.mandatory_violations)
    advisory = len(plan.policies) - mandatory
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(clouds.items()))
    return (
        f"{plan.stack}: {len(custom)} resources ({kinds}) and {components} components; "
        f"policy: {mandatory} mandatory, {advisory} advisory"
    )


def short_type(type_token: str) -> str:
    """`gcp:container/nodePool:NodePool` -> `gcp:NodePool`; providers stay whole."""
    package, _, rest = type_token.partition(":")
    if package == "pulumi":
        return type_token
    return f"{package}:{rest.rsplit(':', 1)[-1]}"


def render(plan: Plan, console: Console) -> None:
    table = Table(title=f"stack {plan.stack} ({plan.file})", show_lines=False)
    table.add_column("type", style="cyan", no_wrap=True)
    table.add_column("name", style="bold")
    table.add_column("settings")
    for resource in plan.resources:
        if not resource.custom:
            continue
        table.add_row(
            short_type(resource.type), resource.name, key_settings(resource.type, resource.inputs)
        )
    console.print(table)
    for verdict in plan.policies:
        style = "red" if verdict.level == "mandatory" else "yellow"
        line = Text.assemble(
            (verdict.level, style), f" {verdict.policy}: {verdict.message} ({verdict.urn})"
        )
        console.print(line, highlight=False)
    console.print(summary_line(plan), highlight=False)
