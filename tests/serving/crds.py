"""Offline checks of custom resources against vendored CRD schemas, verified by checksum.

tests/serving/data/crds/SOURCES.json names each file's repository, release or commit and
sha256: Gateway API v1.2.1's standard-channel Gateway and HTTPRoute, GKE's HealthCheckPolicy
(GoogleCloudPlatform/gke-gateway-api) and Managed Prometheus's PodMonitoring
(GoogleCloudPlatform/prometheus-engine). The API server validates a custom resource against
the CRD's structural `openAPIV3Schema` and prunes (or, under strict field validation,
rejects) unknown fields (https://kubernetes.io/docs/tasks/extend-kubernetes/
custom-resources/custom-resource-definitions/#field-pruning); this check rejects them, as
`kubectl apply --validate=strict` would. CEL rules (`x-kubernetes-validations`) are not
evaluated here: only a real API server runs them.
"""

from __future__ import annotations

import copy
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

CRD_DIR = Path(__file__).parent / "data" / "crds"
SOURCES = CRD_DIR / "SOURCES.json"


class ChecksumError(AssertionError):
    """A vendored CRD file is not the one SOURCES.json records."""


def verify_checksums() -> dict[str, Any]:
    sources: dict[str, Any] = json.loads(SOURCES.read_text(encoding="utf-8"))
    for name, source in sources.items():
        digest = hashlib.sha256((CRD_DIR / name).read_bytes()).hexdigest()
        if digest != source["sha256"]:
            raise ChecksumError(f"{name}: sha256 {digest} != recorded {source['sha256']}")
    return sources


def _strict(schema: Any) -> Any:
    """Every object with declared properties admits no others (unless it preserves them)."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if (
            out.get("type") == "object"
            and "properties" in out
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


@cache
def schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> strict JSON Schema of every served version of every CRD."""
    verify_checksums()
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(CRD_DIR.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if not version.get("served", False):
                continue
            schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
            # metadata is checked by the API server's ObjectMeta, not the CRD schema.
            schema.get("properties", {}).pop("metadata", None)
            found[(f"{group}/{version['name']}", kind)] = _strict(schema)
    return found


def validate(obj: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError if `obj` breaks its CRD's schema; KeyError if the
    kind is not vendored."""
    schema = schemas()[(obj["apiVersion"], obj["kind"])]
    body = {k: v for k, v in obj.items() if k != "metadata"}
    jsonschema.validate(body, schema, cls=jsonschema.Draft7Validator)
