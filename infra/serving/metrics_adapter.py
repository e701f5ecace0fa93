"""custom-metrics-stackdriver-adapter: what serves the metrics APIs an HPA on a custom metric reads.

An HPA on a `Pods` metric reads `custom.metrics.k8s.io`, on an `External` metric
`external.metrics.k8s.io`; GKE serves neither by itself. Of the options Google documents for
Managed Prometheus metrics (https://cloud.google.com/stackdriver/docs/managed-prometheus/hpa:
KEDA, custom-metrics-stackdriver-adapter, prometheus-adapter) servestack declares the adapter:
Google develops and supports it, it reads Managed Prometheus through the Cloud Monitoring API
with nothing but `roles/monitoring.viewer` (no Prometheus frontend to run, unlike
prometheus-adapter), and it keeps the HPA a plain autoscaling/v2 object (KEDA would replace it
with its own ScaledObject CRD and operator).

Every object follows Google's manifest, GoogleCloudPlatform/k8s-stackdriver
custom-metrics-stackdriver-adapter/deploy/production/adapter_new_resource_model.yaml
(cited below as `manifest:<line>`, at commit 673c7dd8), hardened where the policy pack and
checkov demand it. The Workload Identity wiring follows the adapter's README
(custom-metrics-stackdriver-adapter/README.md:70-91): a Google service account with
`roles/monitoring.viewer`, `roles/iam.workloadIdentityUser` for the adapter's Kubernetes
service account, and the `iam.gke.io/gcp-service-account` annotation on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.config.shared import StackLabels
from infra.images.baseimage import LOCK_FILE
from infra.serving.labels import MANAGED_BY, PART_OF
from infra.serving.podspec import WORKLOAD_IDENTITY_ANNOTATION

# Fixed by the manifest (manifest:4, 9) and by the README's Workload Identity member
# `<project>.svc.id.goog[custom-metrics/custom-metrics-stackdriver-adapter]` (README.md:81).
NAMESPACE = "custom-metrics"
NAME = "custom-metrics-stackdriver-adapter"
COMPONENT = "metrics-adapter"
# The release manifest:100 deploys; pinned by digest in the base-image lock, which
# scripts/lock-base-images.py refreshes (never by hand).
IMAGE = "gcr.io/gke-release/custom-metrics-stackdriver-adapter:v0.16.9-gke.0"
IMAGE_VERSION = IMAGE.rpartition(":")[2]
IMAGE_LOCK = LOCK_FILE
LOCK_TARGET = "make lock-base-images"
PIN_ANNOTATION = "servestack.io/pinned-by"
MONITORING_VIEWER = "roles/monitoring.viewer"
WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"
# Non-root, so not port 443 (manifest:117, 135): a port above 1024 needs no NET_BIND_SERVICE.
SECURE_PORT = 6443
CERT_DIR = "/tmp/certs"
# The image is FROM gcr.io/distroless/static (Dockerfile:21): any UID runs it; checkov
# CKV_K8S_40 asks for one above 10000.
RUN_AS_HIGH = 10001
# Cloud Monitoring's name of a Managed Prometheus metric is prometheus.googleapis.com/<name>/<kind>;
# the metrics APIs forbid `/`, so the adapter takes `|` instead (README.md:121-127,
# examples/prometheus-to-sd/README.md:77: `prometheus.googleapis.com|foo|gauge`).
PROMETHEUS_PREFIX = "prometheus.googleapis.com"
CHECKOV_SKIP = "checkov.io/skip1"
REPLICAS = 2


@dataclass(frozen=True)
class AdapterTarget:
    """What the adapter's objects need of the stack."""

    project: str
    """GCP project: the adapter reads its Cloud Monitoring metrics and holds its account."""
    cluster_name: str
    """Names the adapter's Google service account."""
    labels: StackLabels
    """Stack labels, put on every object."""
    image: str = IMAGE
    """The adapter image: `repo:tag@sha256:...` once the lock pins it, else `repo:tag`."""


def account_id(cluster_name: str) -> str:
    """Google service account id (6-30 chars) of the adapter, derived from the cluster name."""
    suffix = "-metrics"
    return f"{cluster_name[: 30 - len(suffix)].rstrip('-')}{suffix}"


def account_email(target: AdapterTarget) -> str:
    return f"{account_id(target.cluster_name)}@{target.project}.iam.gserviceaccount.com"


def workload_identity_member(project: str) -> str:
    """The adapter's Kubernetes service account as an IAM member (README.md:79-82)."""
    return f"serviceAccount:{project}.svc.id.goog[{NAMESPACE}/{NAME}]"


def hpa_metric_name(metric: str, kind: str) -> str:
    """The name an HPA gives the adapter for Managed Prometheus metric `metric` of `kind`."""
    return f"{PROMETHEUS_PREFIX}|{metric}|{kind}"


def labels(target: AdapterTarget) -> dict[str, str]:
    values = {
        **target.labels.as_dict(),
        "app.kubernetes.io/component": COMPONENT,
        "app.kubernetes.io/instance": f"{NAME}-{target.labels.env}",
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "app.kubernetes.io/name": NAME,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/version": IMAGE_VERSION,
    }
    return dict(sorted(values.items()))


def _selector() -> dict[str, str]:
    return {"app.kubernetes.io/component": COMPONENT, "app.kubernetes.io/name": NAME}


def _meta(
    target: AdapterTarget,
    name: str,
    namespace: str | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": labels(target)}
    if namespace is not None:
        meta["namespace"] = namespace
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    return meta


def _subject() -> list[dict[str, str]]:
    return [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}]


def namespace(target: AdapterTarget) -> dict[str, Any]:
    """manifest:1-4, with Pod Security `restricted` enforced like the serving namespace."""
    meta = _meta(target, NAMESPACE)
    meta["labels"] = dict(
        sorted(
            {
                **meta["labels"],
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
            }.items()
        )
    )
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def service_account(target: AdapterTarget) -> dict[str, Any]:
    """manifest:6-10, annotated for Workload Identity (README.md:86-91)."""
    annotations = {WORKLOAD_IDENTITY_ANNOTATION: account_email(target)}
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _meta(target, NAME, NAMESPACE, annotations),
        # The adapter is an API server: it needs its token for delegated authn/authz.
        "automountServiceAccountToken": True,
    }


def rbac(target: AdapterTarget) -> list[dict[str, Any]]:
    """manifest:12-66 and 185-210: delegated auth, the auth reader, pods/nodes reads, and the
    HPA controller's read of external metrics."""
    group = "rbac.authorization.k8s.io"
    return [
        {  # manifest:12-23
            "apiVersion": f"{group}/v1",
            "kind": "ClusterRoleBinding",
            "metadata": _meta(target, f"{NAMESPACE}:system:auth-delegator"),
            "roleRef": {"apiGroup": group, "kind": "ClusterRole", "name": "system:auth-delegator"},
            "subjects": _subject(),
        },
        {  # manifest:25-37
            "apiVersion": f"{group}/v1",
            "kind": "RoleBinding",
            "metadata": _meta(target, f"{NAMESPACE}-auth-reader", "kube-system"),
            "roleRef": {
                "apiGroup": group,
                "kind": "Role",
                "name": "extension-apiserver-authentication-reader",
            },
            "subjects": _subject(),
        },
        {  # manifest:39-53
            "apiVersion": f"{group}/v1",
            "kind": "ClusterRole",
            "metadata": _meta(target, f"{NAMESPACE}-resource-reader"),
            "rules": [
                {
                    "apiGroups": [""],
                    "resources": ["pods", "nodes", "nodes/stats"],
                    "verbs": ["get", "list", "watch"],
                }
            ],
        },
        {  # manifest:55-66
            "apiVersion": f"{group}/v1",
            "kind": "ClusterRoleBinding",
            "metadata": _meta(target, f"{NAMESPACE}-resource-reader"),
            "roleRef": {
                "apiGroup": group,
                "kind": "ClusterRole",
                "name": f"{NAMESPACE}-resource-reader",
            },
            "subjects": _subject(),
        },
        {  # manifest:185-197: external metric names are the metrics, so no fixed list
            "apiVersion": f"{group}/v1",
            "kind": "ClusterRole",
            "metadata": _meta(
                target,
                "external-metrics-reader",
                annotations={
                    CHECKOV_SKIP: "CKV_K8S_49=external metrics are named by their Cloud "
                    "Monitoring type, so the HPA controller reads any of them (read-only); "
                    "adapter_new_resource_model.yaml:185-197"
                },
            ),
            "rules": [
                {
                    "apiGroups": ["external.metrics.k8s.io"],
                    "resources": ["*"],
                    "verbs": ["list", "get", "watch"],
                }
            ],
        },
        {  # manifest:199-210
            "apiVersion": f"{group}/v1",
            "kind": "ClusterRoleBinding",
            "metadata": _meta(
                target,
                "external-metrics-reader",
                annotations={
                    CHECKOV_SKIP: "CKV2_K8S_5=the bound role reads external.metrics.k8s.io "
                    "only, which holds no Secret; adapter_new_resource_model.yaml:199-210"
                },
            ),
            "roleRef": {
                "apiGroup": group,
                "kind": "ClusterRole",
                "name": "external-metrics-reader",
            },
            "subjects": [
                {
                    "kind": "ServiceAccount",
                    "name": "horizontal-pod-autoscaler",
                    "namespace": "kube-system",
                }
            ],
        },
    ]


def _probe(path: str, initial_delay: int) -> dict[str, Any]:
    """manifest:114-121 on the adapter's own port. Its k8s.io/apiserver server serves
    /livez and /readyz beside /healthz, so liveness and readiness ask different questions
    (https://kubernetes.io/docs/reference/using-api/health-checks/)."""
    return {
        "httpGet": {"path": path, "port": "https", "scheme": "HTTPS"},
        "initialDelaySeconds": initial_delay,
        "periodSeconds": 10,
        "timeoutSeconds": 5,
    }


def deployment(target: AdapterTarget) -> dict[str, Any]:
    """manifest:68-121, hardened: non-root, read-only root, no capabilities, seccomp, probes."""
    security = {
        "runAsNonRoot": True,
        "runAsUser": RUN_AS_HIGH,
        "runAsGroup": RUN_AS_HIGH,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    container = {
        "name": "pod-custom-metrics-stackdriver-adapter",
        "image": target.image,
        "imagePullPolicy": "Always",
        "command": [
            "/adapter",
            "--use-new-resource-model=true",  # manifest:105
            "--fallback-for-container-metrics=true",  # manifest:106
            # k8s.io/apiserver SecureServingOptions: a non-root port, and self-signed
            # serving certificates written to a writable volume, the root being read-only.
            f"--secure-port={SECURE_PORT}",
            f"--cert-dir={CERT_DIR}",
        ],
        "ports": [{"name": "https", "containerPort": SECURE_PORT, "protocol": "TCP"}],
        "resources": {  # manifest:107-113
            "limits": {"cpu": "250m", "memory": "200Mi"},
            "requests": {"cpu": "250m", "memory": "200Mi"},
        },
        # manifest:119 waits 40 s before the first readiness probe; a startup probe gives
        # the adapter that long (and more) before liveness may restart it.
        "startupProbe": {**_probe("/livez", 10), "failureThreshold": 12},
        "readinessProbe": _probe("/readyz", 0),
        "livenessProbe": _probe("/livez", 0),
        "securityContext": {
            **security,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "privileged": False,
            "readOnlyRootFilesystem": True,
        },
        "volumeMounts": [{"name": "certs", "mountPath": CERT_DIR}],
    }
    annotations = {
        PIN_ANNOTATION: f"{IMAGE_LOCK} ({LOCK_TARGET})",
        CHECKOV_SKIP: "CKV_K8S_38=the adapter is an API server: it authenticates and "
        "authorises its callers with its own token (system:auth-delegator)",
    }
    pod_spec = {
        "serviceAccountName": NAME,
        "automountServiceAccountToken": True,
        "securityContext": {**security, "fsGroup": RUN_AS_HIGH},
        "tolerations": [  # manifest:90-98: may run on GPU and TPU nodes
            {
                "key": "nvidia.com/gpu",
                "operator": "Equal",
                "value": "present",
                "effect": "NoSchedule",
            },
            {
                "key": "cloud.google.com/gke-tpu",
                "operator": "Equal",
                "value": "present",
                "effect": "NoSchedule",
            },
        ],
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": _selector()},
            }
        ],
        "containers": [container],
        "volumes": [{"name": "certs", "emptyDir": {"medium": "Memory", "sizeLimit": "16Mi"}}],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(target, NAME, NAMESPACE, annotations),
        "spec": {
            # manifest:77 runs one; two, spread over zones and rolled one at a time, keep the
            # metrics APIs (and every HPA reading them) up through a node or zone loss.
            "replicas": REPLICAS,
            "selector": {"matchLabels": _selector()},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            },
            "template": {"metadata": {"labels": labels(target)}, "spec": pod_spec},
        },
    }


def service(target: AdapterTarget) -> dict[str, Any]:
    """manifest:123-141: port 443 in front of the adapter's own port."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(target, NAME, NAMESPACE),
        "spec": {
            "type": "ClusterIP",
            "selector": _selector(),
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": "https"}],
        },
    }


# (group, version, versionPriority): manifest:143-183.
API_SERVICES: tuple[tuple[str, str, int], ...] = (
    ("custom.metrics.k8s.io", "v1beta1", 100),
    ("custom.metrics.k8s.io", "v1beta2", 200),
    ("external.metrics.k8s.io", "v1beta1", 100),
)


def api_services(target: AdapterTarget) -> list[dict[str, Any]]:
    """The aggregated APIs the HPA controller reads, served by the adapter's Service.

    `insecureSkipTLSVerify` as in the manifest: the adapter serves a self-signed certificate
    it generates at start, so there is no CA bundle to pin beforehand.
    """
    return [
        {
            "apiVersion": "apiregistration.k8s.io/v1",
            "kind": "APIService",
            "metadata": _meta(target, f"{version}.{group}"),
            "spec": {
                "group": group,
                "version": version,
                "groupPriorityMinimum": 100,
                "versionPriority": priority,
                "insecureSkipTLSVerify": True,
                "service": {"name": NAME, "namespace": NAMESPACE, "port": 443},
            },
        }
        for group, version, priority in API_SERVICES
    ]


def network_policy(target: AdapterTarget) -> dict[str, Any]:
    """Only the adapter's API port is reachable. Its caller is the cluster's API server
    (aggregation), whose address the cluster does not publish as a pod or namespace."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(target, NAME, NAMESPACE),
        "spec": {
            "podSelector": {"matchLabels": _selector()},
            "policyTypes": ["Ingress"],
            "ingress": [{"ports": [{"port": SECURE_PORT, "protocol": "TCP"}]}],
        },
    }


def objects(target: AdapterTarget) -> list[dict[str, Any]]:
    """Every Kubernetes object of the adapter, in the order they are needed."""
    return [
        namespace(target),
        service_account(target),
        *rbac(target),
        deployment(target),
        service(target),
        network_policy(target),
        *api_services(target),
    ]


def locked_image(lock: dict[str, str | None]) -> str:
    """The adapter image by digest once `make lock-base-images` pinned it, else by tag (which
    the policy pack's image-pinned-by-digest rule flags)."""
    digest = lock.get(IMAGE)
    return f"{IMAGE}@{digest}" if digest else IMAGE
