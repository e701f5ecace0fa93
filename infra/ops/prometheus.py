"""A small client of the Prometheus HTTP query API, as Managed Prometheus also serves it.

Google Cloud Managed Service for Prometheus answers the upstream `/api/v1/query` under
`https://monitoring.googleapis.com/v1/projects/PROJECT/location/global/prometheus`
(https://cloud.google.com/stackdriver/docs/managed-prometheus/query#http-api-details), with
an OAuth bearer token of an identity holding roles/monitoring.viewer. A plain Prometheus
answers the same path without one, which is what the tests run against. The response
shape is the upstream one (https://prometheus.io/docs/prometheus/latest/querying/api/
#instant-queries): `{"status": "success", "data": {"resultType": "vector", "result": [...]}}`.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

GMP_URL = "https://monitoring.googleapis.com/v1/projects/{project}/location/global/prometheus"
QUERY_PATH = "/api/v1/query"
TIMEOUT_SECONDS = 20.0


class PrometheusError(Exception):
    """The query API could not answer; one line for the user, never the token."""


def managed_prometheus_url(project: str) -> str:
    return GMP_URL.format(project=project)


@dataclass(frozen=True)
class PrometheusClient:
    base_url: str
    """Base of the API: `/api/v1/query` is appended (no trailing slash needed)."""
    token: str | None = None
    """Bearer token for Managed Prometheus; None for a plain Prometheus."""
    timeout: float = TIMEOUT_SECONDS

    def _get(self, path: str, params: dict[str, str]) -> Any:
        url = f"{self.base_url.rstrip('/')}{path}?{urllib.parse.urlencode(params)}"
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            detail = _error_text(error)
            raise PrometheusError(f"{self.base_url}: HTTP {error.code}{detail}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise PrometheusError(f"{self.base_url}: unreachable ({reason})") from None
        except json.JSONDecodeError:
            raise PrometheusError(f"{self.base_url}: answered something other than JSON") from None
        if not isinstance(body, dict) or body.get("status") != "success":
            message = body.get("error", "no status") if isinstance(body, dict) else "not an object"
            raise PrometheusError(f"{self.base_url}: query failed: {message}")
        return body["data"]

    def vector(self, expr: str) -> list[tuple[dict[str, str], float]]:
        """An instant query's samples as (labels, value); NaN values (0/0) are left out."""
        data = self._get(QUERY_PATH, {"query": expr})
        if data.get("resultType") == "scalar":
            value = float(data["result"][1])
            return [] if math.isnan(value) else [({}, value)]
        samples: list[tuple[dict[str, str], float]] = []
        for item in data.get("result", []):
            value = float(item["value"][1])
            if not math.isnan(value):
                samples.append((dict(item.get("metric", {})), value))
        return samples

    def scalar(self, expr: str) -> float | None:
        """The single value of an aggregated query; None when nothing matched."""
        samples = self.vector(expr)
        if len(samples) > 1:
            raise PrometheusError(f"expected one series, got {len(samples)}: {expr}")
        return samples[0][1] if samples else None


def _error_text(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read().decode("utf-8"))
    except (ValueError, OSError):
        return ""
    message = body.get("error") if isinstance(body, dict) else None
    return f": {message}" if message else ""
