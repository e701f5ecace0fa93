"""Custom-metric autoscaling needs something that serves the metrics API the HPA reads.

An HPA on a `Pods` metric reads `custom.metrics.k8s.io`, on an `External` metric
`external.metrics.k8s.io`; GKE serves neither by itself. A GKE stack with a server that
scales on a Managed Prometheus metric declares custom-metrics-stackdriver-adapter, the option
Google develops for it (https://cloud.google.com/stackdriver/docs/managed-prometheus/hpa). The
choice and its objects: infra/serving/metrics_adapter.py. The adapter reads Managed
Prometheus through Cloud Monitoring as a Google service account (Workload Identity), so a
stack without Managed Prometheus or Workload Identity, and the local stack, which has
neither, cannot scale on such a metric: the config is rejected with that reason.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from infra.config.errors import KeyedError

if TYPE_CHECKING:
    from infra.config.stack import StackSpec

HPA_METRICS_DOCS = "https://cloud.google.com/stackdriver/docs/managed-prometheus/hpa"
# Cloud Monitoring names a Managed Prometheus metric prometheus.googleapis.com/<name>/<kind>
# (kinds as GoogleCloudPlatform/opentelemetry-operations-go exporter/collector/
# googlemanagedprometheus/naming.go appends them: gauge, counter, histogram, summary,
# summary:counter, unknown, unknown:counter); the adapter
# takes `|` for `/` (k8s-stackdriver custom-metrics-stackdriver-adapter/README.md:121-127,
# examples/prometheus-to-sd/README.md:77) and reads a name with that prefix from the
# prometheus_target resource (pkg/adapter/translator/query_builder.go:69, 397).
PROMETHEUS_METRIC = re.compile(
    r"^prometheus\.googleapis\.com\|[A-Za-z_:][A-Za-z0-9_:]*\|"
    r"(gauge|counter|histogram|summary|summary:counter|unknown|unknown:counter)$"
)


def uses_custom_metrics(spec: StackSpec) -> bool:
    """Some server scales on a custom metric: the stack declares the metrics adapter."""
    return any(server.autoscaling.metric is not None for server in spec.servers)


def check_custom_metrics(spec: StackSpec) -> None:
    for index, server in enumerate(spec.servers):
        metric = server.autoscaling.metric
        if metric is None:
            continue
        key = f"servestack:servers[{index}].autoscaling.metric"
        api = "custom.metrics.k8s.io" if metric.type == "Pods" else "external.metrics.k8s.io"
        cluster = spec.cluster
        missing = (
            "a local stack has no Managed Prometheus"
            if cluster is None
            else "cluster.managedPrometheus is off"
            if not cluster.managed_prometheus
            else "cluster.workloadIdentity is off"
            if not cluster.workload_identity
            else None
        )
        if missing is not None:
            raise KeyedError(
                key,
                f"nothing can serve {api}, which this HPA reads: {missing}, and the metrics "
                f"adapter reads Managed Prometheus with Workload Identity ({HPA_METRICS_DOCS}); "
                "scale on targetCpuUtilization instead",
            )
        if not PROMETHEUS_METRIC.match(metric.name):
            raise KeyedError(
                f"{key}.name",
                "the metrics adapter serves a Managed Prometheus metric as "
                f"prometheus.googleapis.com|<metric>|<kind> (got {metric.name!r})",
            )
