"""Kubernetes objects of a plan, as YAML files exactly as they would be sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from infra.preview.capture import CapturedResource


def kubernetes_objects(resources: list[CapturedResource]) -> list[dict[str, Any]]:
    """Manifests of every Kubernetes object (providers and component wrappers excluded)."""
    return [
        r.inputs
        for r in resources
        if r.custom
        and r.type.startswith("kubernetes:")
        and not r.type.startswith("pulumi:providers:")
        and "kind" in r.inputs
    ]


def manifest_path(obj: dict[str, Any]) -> Path:
    metadata = obj.get("metadata") or {}
    namespace = metadata.get("namespace") or "_cluster"
    kind = str(obj["kind"]).lower()
    return Path(str(namespace)) / f"{kind}-{metadata.get('name', 'unnamed')}.yaml"


def to_yaml(obj: dict[str, Any]) -> str:
    return yaml.safe_dump(obj, sort_keys=True, default_flow_style=False, width=100)


class ManifestClashError(Exception):
    """Two objects of one plan would be written to one file; neither is written."""


def write_manifests(resources: list[CapturedResource], directory: Path) -> list[Path]:
    """Write one file per object; refuse (before writing any) if two map to one file."""
    planned: dict[Path, dict[str, Any]] = {}
    for obj in kubernetes_objects(resources):
        relative = manifest_path(obj)
        if relative in planned:
            raise ManifestClashError(
                f"{relative}: two {obj['kind']} objects named "
                f"{(obj.get('metadata') or {}).get('name')!r} in one namespace; not writing"
            )
        planned[relative] = obj
    written: list[Path] = []
    for relative, obj in planned.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(to_yaml(obj), encoding="utf-8")
        written.append(path)
    return sorted(written)
