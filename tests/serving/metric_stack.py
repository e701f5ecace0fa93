"""A shipped stack file with one server scaling on a Managed Prometheus metric.

No shipped stack scales on a custom metric (prod's adapter image would be unpinned in a
mandatory stack), so tests that need the metrics adapter write this variant out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
# TF Serving's request counter as Managed Prometheus stores it, as the adapter serves it.
METRIC_NAME = "prometheus.googleapis.com|:tensorflow:serving:request_count|counter"


def metric(name: str = METRIC_NAME, kind: str = "Pods") -> dict[str, Any]:
    return {"type": kind, "name": name, "targetAverageValue": "40"}


def with_metric(stack: str, directory: Path, value: dict[str, Any] | None = None) -> Path:
    """`stacks/Pulumi.<stack>.yaml` with servers[0].autoscaling.metric set, written out."""
    text = (ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    server = document["config"]["servestack:servers"][0]
    server.setdefault("autoscaling", {})["metric"] = value or metric()
    path = directory / f"Pulumi.{stack}-metric.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path
