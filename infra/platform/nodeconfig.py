"""Node settings shared by every pool (and the cluster's transient default pool)."""

from __future__ import annotations

from typing import Any

IMAGE_TYPE = "COS_CONTAINERD"
OAUTH_SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)


def node_security_config(workload_identity: bool = True) -> dict[str, Any]:
    """Hardened node basics: COS, Shielded VM, GKE metadata server, no legacy metadata API.

    The cloud-platform scope defers authorization to IAM, where the node account has
    only least-privilege roles. Without Workload Identity the GKE metadata server cannot
    run, so pods then see the node's metadata (which the policy pack flags).
    """
    return {
        "image_type": IMAGE_TYPE,
        "oauth_scopes": list(OAUTH_SCOPES),
        "metadata": {"disable-legacy-endpoints": "true"},
        "shielded_instance_config": {
            "enable_secure_boot": True,
            "enable_integrity_monitoring": True,
        },
        "workload_metadata_config": {
            "mode": "GKE_METADATA" if workload_identity else "GCE_METADATA"
        },
    }
