"""One row per stack, from the stack files and policy configs alone (no CLI, no cloud)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.config import ConfigError, StackSpec

COLUMNS = ("Stack", "Kind", "Region", "Pools", "Servers", "Model versions", "Policy")


@dataclass(frozen=True)
class StackRow:
    stack: str
    kind: str
    region: str
    pools: str
    servers: str
    versions: str
    policy: str
    error: str | None = None

    def cells(self) -> tuple[str, ...]:
        return (
            self.stack,
            self.kind,
            self.region,
            self.pools,
            self.servers,
            self.versions,
            self.policy,
        )


def _pool(spec: StackSpec, index: int) -> str:
    pool = spec.node_pools[index]
    gpu = f" {pool.gpu.count}x{pool.gpu.type}" if pool.gpu else ""
    spot = " spot" if pool.spot else ""
    per_zone = "/zone" if pool.autoscaling.per_zone else ""
    scale = f"{pool.autoscaling.min}-{pool.autoscaling.max}{per_zone}"
    return f"{pool.name} ({pool.machine_type}{gpu}{spot}, {scale})"


def _versions(spec: StackSpec) -> str:
    parts = []
    for server in spec.servers:
        for model in server.models:
            versions = ",".join(str(v) for v in model.versions)
            labels = "".join(
                f" {label}={version}" for label, version in sorted(model.version_labels.items())
            )
            canary = ""
            if server.canary is not None and server.canary_model is model:
                canary = f" canary={server.canary.version}@{server.canary.weight}%"
            parts.append(f"{server.name}/{model.name}: {versions}{labels}{canary}")
    return "\n".join(parts)


def policy_level(config: dict[str, Any] | None) -> str:
    """The pack-wide enforcement level of a Pulumi policy config, with override count."""
    if config is None:
        return "pack defaults"
    overall = config.get("all", "pack defaults")
    if isinstance(overall, dict):
        overall = overall.get("enforcementLevel", "pack defaults")
    overrides = sum(
        1 for key, value in config.items() if key != "all" and _level_of(value) is not None
    )
    return (
        f"{overall} (+{overrides} override{'s' if overrides != 1 else ''})"
        if overrides
        else str(overall)
    )


def _level_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "enforcementLevel" in value:
        return str(value["enforcementLevel"])
    return None


def read_policy_config(root: Path, stack: str) -> dict[str, Any] | None:
    path = root / "policies" / "config" / f"{stack}.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ConfigError(str(path.relative_to(root)), "", f"invalid JSON: {error}") from None
    return data if isinstance(data, dict) else None


def stack_row(spec: StackSpec, policy: dict[str, Any] | None) -> StackRow:
    if spec.local is not None:
        kind, region = "local", spec.local.kubeconfig_context
    else:
        kind = "gke"
        region = spec.cluster.location if spec.cluster else (spec.gcp_region or "")
    return StackRow(
        stack=spec.stack,
        kind=kind,
        region=region,
        pools="\n".join(_pool(spec, i) for i in range(len(spec.node_pools))) or "-",
        servers="\n".join(s.name for s in spec.servers),
        versions=_versions(spec),
        policy=policy_level(policy),
    )


def stack_rows(
    root: Path, stacks: Sequence[str], load: Callable[[Path, str], StackSpec]
) -> list[StackRow]:
    """Rows for every stack; a stack whose file is invalid gets a row carrying the error."""
    rows = []
    for stack in stacks:
        try:
            rows.append(stack_row(load(root, stack), read_policy_config(root, stack)))
        except ConfigError as error:
            rows.append(StackRow(stack, "?", "", "", "", "", "", error=str(error)))
    return rows
