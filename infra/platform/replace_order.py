"""The replacement order of GCP resources whose name does not change when they are replaced.

The Terraform bridge replaces an explicitly named, autonameable resource delete-before-create
by default (pulumi/pulumi-terraform-bridge pkg/tfbridge/provider.go:1275, schema.go:240;
pulumi/pulumi-terraform#465). servestack states the order on every such resource rather than
inheriting it. A cluster, network, subnet, repository or service account keeps its name
across a replacement, so create-before-delete would fail on the name the old one still
holds: these are deleted first, and `servestack diff` says so. Node pools carry a settings
hash in their name and choose their order per pool (infra/config/replacement.py).
"""

from __future__ import annotations

import pulumi

FIXED_NAME_REASON = "the name stays the same, so the old resource must go first"


def fixed_name_options() -> pulumi.ResourceOptions:
    """Delete-before-create, explicitly: a same-named replacement cannot coexist."""
    return pulumi.ResourceOptions(delete_before_replace=True)
