"""Custom-metric autoscaling needs something that serves the metrics API the HPA reads.

An HPA on a `Pods` metric reads `custom.metrics.k8s.io`, on an `External` metric
`external.metrics.k8s.io`; GKE serves neither by itself. For Managed Prometheus metrics
Google documents custom-metrics-stackdriver-adapter (with Workload Identity, its RBAC and
APIService objects) and, as alternatives, prometheus-adapter or KEDA
(https://cloud.google.com/stackdriver/docs/managed-prometheus/hpa,
https://cloud.google.com/kubernetes-engine/docs/tutorials/autoscaling-metrics).
servestack declares none of them yet, so a server that scales on such a metric is rejected
with the reason rather than deployed with an HPA that can never read its metric.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from infra.config.errors import KeyedError

if TYPE_CHECKING:
    from infra.config.stack import StackSpec

HPA_METRICS_DOCS = "https://cloud.google.com/stackdriver/docs/managed-prometheus/hpa"


def check_custom_metrics(spec: StackSpec) -> None:
    for index, server in enumerate(spec.servers):
        metric = server.autoscaling.metric
        if metric is None:
            continue
        api = "custom.metrics.k8s.io" if metric.type == "Pods" else "external.metrics.k8s.io"
        raise KeyedError(
            f"servestack:servers[{index}].autoscaling.metric",
            f"nothing serves {api}, which this HPA reads: the stack declares no metrics "
            f"adapter ({HPA_METRICS_DOCS}); scale on targetCpuUtilization instead",
        )
