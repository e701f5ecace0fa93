"""Which input changes make Pulumi replace (delete and re-create) a resource.

GCP: pulumi-gcp is bridged from the Terraform google-beta provider, and the bridge replaces
a resource where the provider's schema says `ForceNew` or a `CustomizeDiff` calls for it.
Each rule below cites the `ForceNew` line in hashicorp/terraform-provider-google-beta at
v7.45.0, the upstream submodule pinned by pulumi/pulumi-gcp v9.35.0 (commit 14da5bc8,
`upstream` -> 3dc173a3). The installed pulumi-gcp 10.2.0 is newer than any stored snapshot
of that repository; v7.45.0 is the nearest upstream that can be read.

How SDKv2 applies the flags (hashicorp/terraform-plugin-sdk v2.40.1, which pulumi-gcp
pins through its fork, helper/schema/schema.go:1392-1421 in `diffList`): `ForceNew` on a
one-item block marks only its item count, so adding or removing the block replaces and a
change inside it follows the nested field's own flag (`Rule.block`). A block that is also
`Computed` keeps the value the provider read when the program drops it (`Rule.computed`).
`customdiff.ForceNewIfChange` replaces only when its function says so (`Rule.forces`,
e.g. a subnet range may grow in place).

Kubernetes: pulumi-kubernetes keeps its own list (`forceNewProperties`,
pulumi/pulumi-kubernetes provider/pkg/provider/diff.go at 94977969).

servestack's own rule: a node pool's GKE `name` carries a hash of the settings that need
fresh nodes (infra/platform/nodepool.py), so a change of any of them renames the pool and
`name` is ForceNew. `SERVESTACK_KEEPERS` names them so that a replacement is called out on
the setting itself. Paths are camelCase input paths; `[*]` matches any list index.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

UPSTREAM = "terraform-provider-google-beta v7.45.0"
_CLUSTER = "google-beta/services/container/resource_container_cluster.go"
_POOL = "google-beta/services/container/resource_container_node_pool.go"
_NODE = "google-beta/services/container/node_config.go"
_NETWORK = "google-beta/services/compute/resource_compute_network.go"
_SUBNET = "google-beta/services/compute/resource_compute_subnetwork.go"
_REPO = "google-beta/services/artifactregistry/resource_artifact_registry_repository.go"
_REPO_IAM = "google-beta/services/artifactregistry/iam_artifact_registry_repository.go"
_SA = "google-beta/services/resourcemanager/resource_google_service_account.go"
_SA_IAM = "google-beta/services/resourcemanager/iam_service_account.go"
_PROJECT_IAM = "google-beta/services/resourcemanager/iam_project.go"
_IAM_MEMBER = "google-beta/tpgiamresource/resource_iam_member.go"


def cidr_shrinks_or_moves(old: Any, new: Any) -> bool:
    """`IsShrinkageIpCidr` (resource_compute_subnetwork.go:63): replace unless the new
    range contains the old one; unparseable values leave the update in place."""
    if not isinstance(old, str) or not isinstance(new, str):
        return False
    try:
        before = ipaddress.ip_network(old, strict=False)
        after = ipaddress.ip_network(new, strict=False)
    except ValueError:
        return False
    if isinstance(before, ipaddress.IPv4Network) and isinstance(after, ipaddress.IPv4Network):
        return not before.subnet_of(after)
    if isinstance(before, ipaddress.IPv6Network) and isinstance(after, ipaddress.IPv6Network):
        return not before.subnet_of(after)
    return True


@dataclass(frozen=True)
class Rule:
    """One replacement rule of a provider, with the source line it comes from."""

    path: str
    source: str
    block: bool = False
    """ForceNew on a one-item block: only adding or removing the block replaces."""
    forces: Callable[[Any, Any], bool] | None = None
    """ForceNewIfChange: replace only when this says so for (old, new)."""
    computed: bool = False
    """Optional+Computed block: dropping it from the inputs keeps the provider's value."""


def _rules(source: str, *entries: tuple[str, int] | Rule) -> tuple[Rule, ...]:
    return tuple(e if isinstance(e, Rule) else Rule(e[0], f"{source}:{e[1]}") for e in entries)


# ForceNew fields of the node config shared by the cluster and its node pools
# (schemaNodeConfig). gvnic, gcfsConfig, machineType, disk size and type, labels, taints,
# tags, imageType and workloadMetadataConfig update in place.
_NODE_CONFIG = _rules(
    _NODE,
    ("advancedMachineFeatures", 1312),
    ("bootDiskKmsKey", 790),
    ("confidentialNodes.confidentialInstanceType", 1417),
    ("enableConfidentialStorage", 1448),
    ("ephemeralStorageConfig", 454),
    ("ephemeralStorageLocalSsdConfig", 473),
    ("flexStart", 1467),
    ("guestAccelerators", 320),
    ("hostMaintenancePolicy", 1387),
    ("localNvmeSsdBlockConfig", 499),
    ("localSsdCount", 442),
    ("localSsdEncryptionMode", 1454),
    ("maxRunDuration", 1461),
    ("metadata", 566),
    ("minCpuPlatform", 575),
    ("nodeGroup", 1303),
    ("oauthScopes", 583),
    ("preemptible", 598),
    ("reservationAffinity", 607),
    ("sandboxConfig", 764),
    ("secondaryBootDisks", 518),
    ("serviceAccount", 647),
    ("shieldedInstanceConfig", 669),
    ("soleTenantConfig", 1341),
    ("spot", 638),
)


def _node_config() -> tuple[Rule, ...]:
    nested = tuple(Rule(f"nodeConfig.{r.path}", r.source) for r in _NODE_CONFIG)
    return (Rule("nodeConfig", f"{_NODE}:284", block=True, computed=True), *nested)


GCP_RULES: Mapping[str, tuple[Rule, ...]] = {
    "gcp:container/nodePool:NodePool": (
        *_rules(
            _POOL,
            ("cluster", 249),
            ("initialNodeCount", 483),
            ("location", 256),
            ("maxPodsPerNode", 430),
            ("name", 531),
            ("namePrefix", 539),
            ("networkConfig.additionalNodeNetworkConfigs", 605),
            ("networkConfig.additionalPodNetworkConfigs", 629),
            ("networkConfig.createPodRange", 577),
            ("networkConfig.podCidrOverprovisionConfig", 659),
            ("networkConfig.podIpv4CidrBlock", 596),
            ("networkConfig.podRange", 589),
            ("placementPolicy", 386),
            ("project", 243),
            ("queuedProvisioning", 414),
        ),
        *_node_config(),
    ),
    "gcp:container/cluster:Cluster": (
        *_rules(
            _CLUSTER,
            ("clusterIpv4Cidr", 1070),
            ("confidentialNodes", 1717),
            ("datapathProvider", 2626),
            ("defaultMaxPodsPerNode", 2424),
            ("description", 1079),
            ("enableAutopilot", 1193),
            ("enableKubernetesAlpha", 1113),
            ("enableTpu", 1138),
            ("initialNodeCount", 1235),
            ("location", 332),
            ("masterAuth.clientCertificateConfig", 1752),
            ("masterAuth.clientCertificateConfig.issueClientCertificate", 1759),
            ("name", 298),
            ("network", 1816),
            ("networkingMode", 2234),
            ("nodePools", 1852),
            ("privateClusterConfig.masterIpv4CidrBlock", 2344),
            ("privateClusterConfig.privateEndpointSubnetwork", 2362),
            ("project", 2022),
            ("subnetwork", 2030),
            Rule("ipAllocationPolicy", f"{_CLUSTER}:2062", block=True, computed=True),
            ("ipAllocationPolicy.clusterIpv4CidrBlock", 2074),
            ("ipAllocationPolicy.clusterSecondaryRangeName", 2095),
            ("ipAllocationPolicy.podCidrOverprovisionConfig", 2120),
            ("ipAllocationPolicy.servicesIpv4CidrBlock", 2084),
            ("ipAllocationPolicy.servicesSecondaryRangeName", 2104),
        ),
        *_node_config(),
    ),
    "gcp:artifactregistry/repository:Repository": _rules(
        _REPO,
        ("format", 305),
        ("kmsKeyName", 448),
        ("location", 472),
        ("mavenConfig.allowSnapshotOverwrites", 493),
        ("mavenConfig.versionPolicy", 500),
        ("mode", 511),
        ("project", 930),
        ("remoteRepositoryConfig", 519),
        ("repositoryId", 315),
    ),
    "gcp:compute/network:Network": _rules(
        _NETWORK,
        ("autoCreateSubnetworks", 156),
        ("description", 168),
        ("internalIpv6Range", 182),
        ("name", 143),
        ("networkProfile", 209),
        ("params", 220),
        ("project", 305),
    ),
    "gcp:compute/subnetwork:Subnetwork": (
        *_rules(
            _SUBNET,
            ("description", 577),
            ("externalIpv6Prefix", 586),
            ("name", 547),
            ("network", 560),
            ("params", 698),
            ("project", 903),
            ("region", 748),
            ("reservedInternalRange", 755),
            ("resolveSubnetMask", 763),
        ),
        # customdiff.ForceNewIfChange("ip_cidr_range", IsShrinkageIpCidr)
        Rule("ipCidrRange", f"{_SUBNET}:512", forces=cidr_shrinks_or_moves),
    ),
    "gcp:serviceaccount/account:Account": _rules(_SA, ("accountId", 93), ("project", 118)),
    "gcp:projects/iAMMember:IAMMember": (
        *_rules(_IAM_MEMBER, ("condition", 80), ("member", 72), ("role", 67)),
        *_rules(_PROJECT_IAM, ("project", 38)),
    ),
    "gcp:serviceaccount/iAMMember:IAMMember": (
        *_rules(_IAM_MEMBER, ("condition", 80), ("member", 72), ("role", 67)),
        *_rules(_SA_IAM, ("serviceAccountId", 40)),
    ),
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": (
        *_rules(_IAM_MEMBER, ("condition", 80), ("member", 72), ("role", 67)),
        *_rules(_REPO_IAM, ("location", 82), ("project", 76), ("repository", 87)),
    ),
}

# Node settings hashed into a servestack node pool's name (the keepers of the name); a
# change renames the pool, and Pulumi replaces it create-before-delete.
_NODE_POOL_KEEPERS = (
    "diskSizeGb",
    "diskType",
    "gcfsConfig",
    "guestAccelerators",
    "gvnic",
    "imageType",
    "machineType",
    "metadata",
    "oauthScopes",
    "serviceAccount",
    "shieldedInstanceConfig",
    "spot",
    "taints",
    "workloadMetadataConfig",
    "labels.servestack.io/accelerator",
    "labels.servestack.io/pool",
)

SERVESTACK_KEEPERS: Mapping[str, tuple[str, ...]] = {
    "gcp:container/nodePool:NodePool": tuple(f"nodeConfig.{f}" for f in _NODE_POOL_KEEPERS),
}

_KUBE_DIFF = "pulumi-kubernetes provider/pkg/provider/diff.go"
_SELECTOR = ("spec.selector",)
# metadataForceNewProperties (diff.go:207), added for every kind (diff.go:24).
_KUBE_METADATA = ("metadata.name", "metadata.namespace")

# Kubernetes kinds keyed by "group/version:Kind" as in the Pulumi type token, each with the
# line of its entry in diff.go. The label-selector sub-paths it also lists lie below
# `spec.selector`, which covers them.
KUBE_FORCE_NEW: Mapping[str, tuple[str, ...]] = {
    "apps/v1:Deployment": _SELECTOR,  # diff.go:171
    "apps/v1:DaemonSet": _SELECTOR,  # diff.go:164
    "apps/v1:StatefulSet": (  # diff.go:196
        "spec.podManagementPolicy",
        "spec.revisionHistoryLimit",
        "spec.selector",
        "spec.serviceName",
        "spec.volumeClaimTemplates",
    ),
    "batch/v1:Job": ("spec.completions", "spec.parallelism", "spec.selector", "spec.template"),
    # diff.go:178
    "core/v1:Service": ("spec.clusterIP",),  # diff.go:158
    # The provider replaces ConfigMaps and Secrets on content changes unless
    # `enableConfigMapMutable` / `enableSecretMutable` is set on it (diff.go:28-33).
    "core/v1:ConfigMap": ("binaryData", "data"),
    "core/v1:Secret": ("data", "stringData", "type"),
    "core/v1:PersistentVolumeClaim": (  # diff.go:111
        "spec.accessModes",
        "spec.selector",
        "spec.storageClassName",
        "spec.volumeName",
    ),
    "policy/v1beta1:PodDisruptionBudget": ("spec",),  # diff.go:188
    "rbac.authorization.k8s.io/v1:RoleBinding": ("roleRef",),  # diff.go:192
    "rbac.authorization.k8s.io/v1:ClusterRoleBinding": ("roleRef",),  # diff.go:192
    "storage.k8s.io/v1:StorageClass": ("parameters", "provisioner"),  # diff.go:72
}

_INDEX = re.compile(r"\[\d+\]")


class Change(Protocol):
    """A changed input path with its values (`diff.FieldChange`)."""

    @property
    def path(self) -> str: ...

    @property
    def old(self) -> Any: ...

    @property
    def new(self) -> Any: ...


def rules_of(resource_type: str) -> tuple[Rule, ...]:
    """Every replacement rule of a Pulumi type: the provider's, then servestack's keepers."""
    if resource_type.startswith("kubernetes:"):
        kind = resource_type.removeprefix("kubernetes:")
        paths = (*_KUBE_METADATA, *KUBE_FORCE_NEW.get(kind, ()))
        return tuple(Rule(p, _KUBE_DIFF) for p in paths)
    keepers = SERVESTACK_KEEPERS.get(resource_type, ())
    return (
        *GCP_RULES.get(resource_type, ()),
        *(Rule(p, "infra/platform/nodepool.py") for p in keepers),
    )


def force_new_paths(resource_type: str) -> tuple[str, ...]:
    """The input paths whose change can replace a resource of this Pulumi type."""
    return tuple(r.path for r in rules_of(resource_type))


def _normalise(path: str) -> str:
    return _INDEX.sub("[*]", path)


def path_matches(path: str, pattern: str) -> bool:
    """True when `path` is `pattern` or lies below it (`a.b` matches `a.b.c` and `a.b[0]`)."""
    if pattern == "*":
        return True
    path = _normalise(path)
    pattern = _normalise(pattern)
    if path == pattern:
        return True
    if path.startswith(pattern) and path[len(pattern)] in ".[":
        return True
    # A change of a whole parent object (e.g. nodeConfig added) covers its force-new children.
    return pattern.startswith(path) and pattern[len(path)] in ".["


def _values_at(value: Any, below: str) -> list[Any]:
    """The values at a relative path (`a.b[*].c`) inside `value`; none where it is absent."""
    found = [value]
    for part in re.findall(r"[^.\[\]]+|\[\*\]", below):
        step: list[Any] = []
        for item in found:
            if part == "[*]" and isinstance(item, list):
                step += item
            elif isinstance(item, dict) and part in item:
                step.append(item[part])
        found = step
    return found


def rule_forces(rule: Rule, path: str, old: Any, new: Any, *, known: bool = True) -> bool:
    """Whether `rule` replaces the resource for a change of `path` from `old` to `new`."""
    path, pattern = _normalise(path), _normalise(rule.path)
    if rule.block:
        # Only the block's presence counts; a change inside it is judged by nested rules.
        return path == pattern
    if not path_matches(path, pattern):
        return False
    if known and pattern != path and pattern.startswith(path):
        # A whole parent changed: the rule's field must itself differ inside it.
        below = pattern[len(path) :].lstrip(".")
        return _values_at(old, below) != _values_at(new, below)
    if rule.forces is not None and known and path == pattern:
        return rule.forces(old, new)
    return True


def forcing_paths(
    resource_type: str,
    changes: Iterable[Change],
    replace_on_changes: Iterable[str] = (),
    absent: object = None,
) -> list[str]:
    """Changed paths that force a replacement, by provider rule or `replaceOnChanges`.

    `absent` is the caller's marker of a value missing on one side of a change.
    """
    rules = (*rules_of(resource_type), *(Rule(p, "replaceOnChanges") for p in replace_on_changes))
    kept = {_normalise(r.path) for r in rules if r.computed}

    def forces(change: Change) -> bool:
        # The whole block dropped; a field dropped inside it is judged by its own rule.
        if change.new is absent and _normalise(change.path) in kept:
            return False
        return any(rule_forces(r, change.path, change.old, change.new) for r in rules)

    return sorted({c.path for c in changes if forces(c)})


def replacement_reasons(
    resource_type: str, changed_paths: Iterable[str], replace_on_changes: Iterable[str] = ()
) -> list[str]:
    """Like `forcing_paths` for paths alone: a conditional rule counts as forcing."""
    rules = (*rules_of(resource_type), *(Rule(p, "replaceOnChanges") for p in replace_on_changes))
    return sorted(
        {p for p in changed_paths if any(rule_forces(r, p, None, None, known=False) for r in rules)}
    )
