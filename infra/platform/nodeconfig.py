"""Node settings shared by every pool (and the cluster's transient default pool).

Typed as the SDK's own input dicts, one per resource (a pool's `node_config` and the
cluster's are distinct types in pulumi_gcp), so mypy rejects a misspelt nested key.
"""

from __future__ import annotations

import pulumi_gcp as gcp

IMAGE_TYPE = "COS_CONTAINERD"
OAUTH_SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
LEGACY_METADATA_OFF = {"disable-legacy-endpoints": "true"}


def metadata_mode(workload_identity: bool) -> str:
    """Without Workload Identity the GKE metadata server cannot run, so pods then see the
    node's metadata (which the policy pack flags)."""
    return "GKE_METADATA" if workload_identity else "GCE_METADATA"


def node_security_config(
    workload_identity: bool = True,
) -> gcp.container.NodePoolNodeConfigArgsDict:
    """Hardened node basics: COS, Shielded VM, GKE metadata server, no legacy metadata API.

    The cloud-platform scope defers authorization to IAM, where the node account has
    only least-privilege roles.
    """
    return {
        "image_type": IMAGE_TYPE,
        "oauth_scopes": list(OAUTH_SCOPES),
        "metadata": dict(LEGACY_METADATA_OFF),
        "shielded_instance_config": {
            "enable_secure_boot": True,
            "enable_integrity_monitoring": True,
        },
        "workload_metadata_config": {"mode": metadata_mode(workload_identity)},
    }


def default_pool_security_config(
    workload_identity: bool = True,
) -> gcp.container.ClusterNodeConfigArgsDict:
    """The same hardened basics for the cluster's transient default pool."""
    return {
        "image_type": IMAGE_TYPE,
        "oauth_scopes": list(OAUTH_SCOPES),
        "metadata": dict(LEGACY_METADATA_OFF),
        "shielded_instance_config": {
            "enable_secure_boot": True,
            "enable_integrity_monitoring": True,
        },
        "workload_metadata_config": {"mode": metadata_mode(workload_identity)},
    }
