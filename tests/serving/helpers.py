"""Small builders of stack specs for the serving tests."""

from __future__ import annotations

from typing import Any

from infra.config import ServerSpec, ServingSpec, StackSpec


def with_server(spec: StackSpec, name: str, **changes: Any) -> StackSpec:
    """A copy of `spec` whose server `name` has `changes` applied (validated again)."""
    servers = [
        ServerSpec.model_validate({**s.model_dump(), **changes}) if s.name == name else s
        for s in spec.servers
    ]
    return spec.model_copy(update={"servers": servers})


def bump_versions(spec: StackSpec, name: str) -> StackSpec:
    """Every model of server `name` moves to the next version (labels follow)."""
    server = next(s for s in spec.servers if s.name == name)
    models = []
    for model in server.models:
        data = model.model_dump()
        data["versions"] = [v + 1 for v in model.versions]
        data["version_labels"] = {k: v + 1 for k, v in model.version_labels.items()}
        models.append(data)
    return with_server(spec, name, models=models)


def diff(old: Any, new: Any, path: str = "") -> list[str]:
    """Paths at which two JSON-like values differ."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new)):
            out += diff(old.get(key), new.get(key), f"{path}.{key}" if path else str(key))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            out += diff(a, b, f"{path}[{index}]")
        return out
    return [] if old == new else [path]


def with_serving(spec: StackSpec, **changes: Any) -> StackSpec:
    """A copy of `spec` with `serving` settings changed (validated again)."""
    serving = ServingSpec.model_validate({**spec.serving.model_dump(), **changes})
    return spec.model_copy(update={"serving": serving})
