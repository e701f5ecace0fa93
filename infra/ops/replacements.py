"""Which input changes make Pulumi replace (delete and re-create) a resource.

The tables mirror the providers servestack uses: pulumi-gcp 10.x is bridged from the
Terraform Google provider, whose `ForceNew` schema fields become replacements; the
Kubernetes provider keeps its own list of immutable fields (`forceNewProperties`).
Fields that GKE updates in place (node pool `machineType`, disk size and type, node
labels and taints, cluster release channel, ...) are absent from the provider tables.
servestack's node pools replace on some of them all the same: a pool's GKE `name` carries
a hash of the settings that need fresh nodes (infra/platform/nodepool.py), so a change of
any of them renames the pool and `name` is ForceNew. `SERVESTACK_KEEPERS` names them so
that a replacement is called out on the setting itself, not only on the renamed pool.
Paths are camelCase input paths; `[*]` matches any list index.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

_NODE_CONFIG_FORCE_NEW = (
    "advancedMachineFeatures",
    "bootDiskKmsKey",
    "confidentialNodes",
    "enableConfidentialStorage",
    "ephemeralStorageLocalSsdConfig",
    "gcfsConfig",
    "guestAccelerators",
    "gvnic",
    "hostMaintenancePolicy",
    "localNvmeSsdBlockConfig",
    "localSsdCount",
    "metadata",
    "minCpuPlatform",
    "nodeGroup",
    "oauthScopes",
    "preemptible",
    "reservationAffinity",
    "secondaryBootDisks",
    "serviceAccount",
    "shieldedInstanceConfig",
    "soleTenantConfig",
    "spot",
)

GCP_FORCE_NEW: Mapping[str, tuple[str, ...]] = {
    "gcp:container/nodePool:NodePool": (
        "cluster",
        "initialNodeCount",
        "location",
        "maxPodsPerNode",
        "name",
        "namePrefix",
        "networkConfig.podRange",
        "networkConfig.podIpv4CidrBlock",
        "placementPolicy",
        "project",
        *(f"nodeConfig.{field}" for field in _NODE_CONFIG_FORCE_NEW),
    ),
    "gcp:container/cluster:Cluster": (
        "clusterIpv4Cidr",
        "datapathProvider",
        "defaultMaxPodsPerNode",
        "description",
        "enableAutopilot",
        "enableKubernetesAlpha",
        "enableTpu",
        "initialNodeCount",
        "ipAllocationPolicy",
        "location",
        "name",
        "network",
        "networkingMode",
        "nodeConfig",
        "privateClusterConfig.enablePrivateEndpoint",
        "privateClusterConfig.enablePrivateNodes",
        "privateClusterConfig.masterIpv4CidrBlock",
        "project",
        "subnetwork",
    ),
    "gcp:artifactregistry/repository:Repository": (
        "format",
        "kmsKeyName",
        "location",
        "mode",
        "project",
        "repositoryId",
    ),
    "gcp:compute/network:Network": ("autoCreateSubnetworks", "name", "project"),
    "gcp:compute/subnetwork:Subnetwork": ("name", "network", "project", "region"),
    "gcp:serviceaccount/account:Account": ("accountId", "project"),
    "gcp:projects/iAMMember:IAMMember": ("condition", "member", "project", "role"),
    "gcp:serviceaccount/iAMMember:IAMMember": (
        "condition",
        "member",
        "role",
        "serviceAccountId",
    ),
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": (
        "condition",
        "location",
        "member",
        "project",
        "repository",
        "role",
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

_SELECTOR = ("spec.selector",)
_KUBE_METADATA = ("metadata.name", "metadata.namespace")

# Kubernetes kinds keyed by "group/version:Kind" as in the Pulumi type token.
KUBE_FORCE_NEW: Mapping[str, tuple[str, ...]] = {
    "apps/v1:Deployment": _SELECTOR,
    "apps/v1:DaemonSet": _SELECTOR,
    "apps/v1:StatefulSet": (
        "spec.podManagementPolicy",
        "spec.revisionHistoryLimit",
        "spec.selector",
        "spec.serviceName",
        "spec.volumeClaimTemplates",
    ),
    "batch/v1:Job": ("spec.completions", "spec.parallelism", "spec.selector", "spec.template"),
    "core/v1:Service": ("spec.clusterIP",),
    # The provider replaces ConfigMaps and Secrets on content changes unless
    # `enableConfigMapMutable` / `enableSecretMutable` is set on the provider.
    "core/v1:ConfigMap": ("binaryData", "data"),
    "core/v1:Secret": ("data", "stringData", "type"),
    "core/v1:PersistentVolumeClaim": (
        "spec.accessModes",
        "spec.selector",
        "spec.storageClassName",
        "spec.volumeName",
    ),
    "policy/v1beta1:PodDisruptionBudget": ("spec",),
    "rbac.authorization.k8s.io/v1:RoleBinding": ("roleRef",),
    "rbac.authorization.k8s.io/v1:ClusterRoleBinding": ("roleRef",),
    "storage.k8s.io/v1:StorageClass": ("parameters", "provisioner"),
}

_INDEX = re.compile(r"\[\d+\]")


def force_new_paths(resource_type: str) -> tuple[str, ...]:
    """The input paths whose change replaces a resource of this Pulumi type."""
    if resource_type.startswith("kubernetes:"):
        kind = resource_type.removeprefix("kubernetes:")
        return (*_KUBE_METADATA, *KUBE_FORCE_NEW.get(kind, ()))
    return (*GCP_FORCE_NEW.get(resource_type, ()), *SERVESTACK_KEEPERS.get(resource_type, ()))


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


def replacement_reasons(
    resource_type: str, changed_paths: Iterable[str], replace_on_changes: Iterable[str] = ()
) -> list[str]:
    """Changed paths that force a replacement, by provider rule or `replaceOnChanges`."""
    rules = (*force_new_paths(resource_type), *replace_on_changes)
    return sorted({p for p in changed_paths if any(path_matches(p, rule) for rule in rules)})
