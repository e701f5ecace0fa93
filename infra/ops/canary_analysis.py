"""Canary against stable, from TF Serving's own per-model metrics, over one window.

TF Serving exports `:tensorflow:serving:request_count{model_name, status}` (a counter;
`status` is the canonical code name, "OK" on success) and the histogram
`:tensorflow:serving:request_latency{model_name, API, entrypoint}` in microseconds
(tensorflow/serving servables/tensorflow/util.cc: the "/tensorflow/serving/request_count"
and "/tensorflow/serving/request_latency" metrics, RecordModelRequestCount; util/
prometheus_exporter.cc turns "/" into ":"). Neither names a model version, so the tracks
are told apart by the `track` target label the PodMonitoring copies from each pod
(infra/serving/objects.py pod_monitoring); `job` is the PodMonitoring's name, the server's.

The verdict is a plain function of the numbers, so it is tested without any server; the
queries run against a real Prometheus in tests/ops/test_canary_prometheus.py.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal, Protocol

from infra.config import CanaryAnalysis
from infra.serving.labels import METRIC_TRACK_LABEL, Track

REQUEST_COUNT = ":tensorflow:serving:request_count"
REQUEST_LATENCY = ":tensorflow:serving:request_latency"
OK_STATUS = "OK"
QUANTILE = 0.99

Decision = Literal["promote", "wait", "abort"]


class Querier(Protocol):
    def scalar(self, expr: str) -> float | None: ...


@dataclass(frozen=True)
class Scope:
    """Which series belong to the server's model: the labels GMP puts on its targets."""

    namespace: str
    job: str
    model: str

    def selector(self, track: Track, extra: str = "") -> str:
        labels = [
            f'namespace="{self.namespace}"',
            f'job="{self.job}"',
            f'model_name="{self.model}"',
            f'{METRIC_TRACK_LABEL}="{track}"',
        ]
        if extra:
            labels.append(extra)
        return "{" + ",".join(labels) + "}"


def queries(scope: Scope, track: Track, window: str) -> dict[str, str]:
    """The three PromQL expressions of one track: requests, errors, p99 latency (µs)."""
    failed = 'status!="' + OK_STATUS + '"'
    return {
        "requests": f"sum(increase({REQUEST_COUNT}{scope.selector(track)}[{window}]))",
        "errors": f"sum(increase({REQUEST_COUNT}{scope.selector(track, failed)}[{window}]))",
        "p99": (
            f"histogram_quantile({QUANTILE}, sum by (le) (rate({REQUEST_LATENCY}_bucket"
            f"{scope.selector(track)}[{window}])))"
        ),
    }


@dataclass(frozen=True)
class TrackStats:
    requests: float
    """Requests in the window (all statuses)."""
    errors: float
    """Requests in the window whose status was not OK."""
    p99_micros: float | None
    """99th percentile request latency in microseconds; None without requests."""

    @property
    def error_rate_percent(self) -> float:
        return 100 * self.errors / self.requests if self.requests else 0.0


def measure(client: Querier, scope: Scope, track: Track, window: str) -> TrackStats:
    exprs = queries(scope, track, window)
    return TrackStats(
        requests=client.scalar(exprs["requests"]) or 0.0,
        errors=client.scalar(exprs["errors"]) or 0.0,
        p99_micros=client.scalar(exprs["p99"]),
    )


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    """promote: thresholds held; wait: too few requests to judge; abort: a threshold broke."""
    reasons: list[str]
    stable: TrackStats
    canary: TrackStats
    thresholds: CanaryAnalysis
    extra: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "decision": self.decision,
            "reasons": self.reasons,
            "stable": asdict(self.stable),
            "canary": asdict(self.canary),
            "thresholds": self.thresholds.model_dump(by_alias=True),
            **self.extra,
        }


def judge(analysis: CanaryAnalysis, stable: TrackStats, canary: TrackStats) -> Verdict:
    """Compare the tracks against the stack file's thresholds; every broken one is named."""

    def verdict(decision: Decision, reasons: list[str], **extra: float) -> Verdict:
        return Verdict(decision, reasons, stable, canary, analysis, extra)

    if canary.requests < analysis.min_requests:
        return verdict(
            "wait",
            [f"canary served {canary.requests:.0f} requests, fewer than {analysis.min_requests}"],
        )
    if stable.requests <= 0:
        return verdict("wait", ["stable served no requests in the window: nothing to compare"])
    if canary.p99_micros is None or not stable.p99_micros:
        return verdict("wait", ["no latency histogram for both tracks yet"])
    reasons: list[str] = []
    increase = canary.error_rate_percent - stable.error_rate_percent
    if increase > analysis.max_error_rate_increase:
        reasons.append(
            f"error rate {canary.error_rate_percent:.2f}% vs stable "
            f"{stable.error_rate_percent:.2f}%: +{increase:.2f} points, more than "
            f"{analysis.max_error_rate_increase}"
        )
    ratio = canary.p99_micros / stable.p99_micros
    if ratio > analysis.max_latency_ratio:
        reasons.append(
            f"p99 latency {canary.p99_micros / 1000:.1f} ms vs stable "
            f"{stable.p99_micros / 1000:.1f} ms: x{ratio:.2f}, more than "
            f"x{analysis.max_latency_ratio}"
        )
    extra = {"errorRateIncrease": round(increase, 4), "latencyRatio": round(ratio, 4)}
    if reasons:
        return verdict("abort", reasons, **extra)
    return verdict(
        "promote",
        [
            f"error rate +{increase:.2f} points (at most {analysis.max_error_rate_increase}), "
            f"p99 x{ratio:.2f} (at most x{analysis.max_latency_ratio}) over "
            f"{canary.requests:.0f} canary requests"
        ],
        **extra,
    )


def analyse(client: Querier, scope: Scope, analysis: CanaryAnalysis) -> Verdict:
    """Measure both tracks over the analysis window and judge them."""
    stable = measure(client, scope, "stable", analysis.window)
    canary = measure(client, scope, "canary", analysis.window)
    return judge(analysis, stable, canary)
