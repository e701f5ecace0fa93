"""The metrics adapter's Google identity: a service account that may read Cloud Monitoring.

Declared only where a server scales on a custom metric (infra/config/metrics.py). The
adapter's Kubernetes service account acts as it through Workload Identity, as the adapter's
README sets it up (GoogleCloudPlatform/k8s-stackdriver custom-metrics-stackdriver-adapter/
README.md:70-91): `roles/monitoring.viewer` on the project, `roles/iam.workloadIdentityUser`
on the account for `<project>.svc.id.goog[custom-metrics/custom-metrics-stackdriver-adapter]`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from infra.platform.identity import role_slug
from infra.platform.replace_order import fixed_name_options
from infra.serving.metrics_adapter import (
    MONITORING_VIEWER,
    WORKLOAD_IDENTITY_USER,
    AdapterTarget,
    account_id,
    workload_identity_member,
)


@dataclass(frozen=True)
class AdapterIdentityArgs:
    target: AdapterTarget
    """Project and cluster name: where the account lives and what names it."""


class AdapterIdentity(pulumi.ComponentResource):
    """The adapter's service account, its monitoring.viewer grant and its Workload Identity."""

    email: pulumi.Output[str]
    """E-mail of the adapter's Google service account."""
    workload_identity: gcp.serviceaccount.IAMMember
    """The Workload Identity grant; the adapter's pods wait for it."""

    def __init__(
        self, name: str, args: AdapterIdentityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("servestack:platform:AdapterIdentity", name, None, opts)
        target = args.target
        child = pulumi.ResourceOptions(parent=self)
        account = gcp.serviceaccount.Account(
            f"{name}-sa",
            gcp.serviceaccount.AccountArgs(
                account_id=account_id(target.cluster_name),
                project=target.project,
                display_name=f"Metrics adapter of {target.cluster_name}",
                description="Reads Managed Prometheus metrics for the HPAs; monitoring.viewer.",
            ),
            pulumi.ResourceOptions.merge(fixed_name_options(), child),
        )
        self.email = account.email
        gcp.projects.IAMMember(
            f"{name}-{role_slug(MONITORING_VIEWER)}",
            gcp.projects.IAMMemberArgs(
                project=target.project, role=MONITORING_VIEWER, member=account.member
            ),
            child,
        )
        self.workload_identity = gcp.serviceaccount.IAMMember(
            f"{name}-workload-identity",
            gcp.serviceaccount.IAMMemberArgs(
                service_account_id=account.name,
                role=WORKLOAD_IDENTITY_USER,
                member=workload_identity_member(target.project),
            ),
            child,
        )
        self.register_outputs({"email": self.email})
