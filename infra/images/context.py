"""Build context of a model image: what goes in it, its content hash, and writing it out.

Planning is pure (reads files, writes nothing): the model versions from the model store or
a `path:` source, the TF Serving config files, a manifest and the Dockerfile. A model that
was never exported is recorded in the manifest as pending, with its recipe, weights and the
recipe's source hash, so offline previews still yield a deterministic tag; building such a
context is refused by the image component.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from infra.config import ConfigError, ModelSpec, ServerSpec, StackSpec, stack_file
from infra.images import tfconfig
from infra.images.baseimage import BaseImage, base_image
from model_images.catalog import export_command, is_saved_model, recipe_source_hash

Variant = Literal["stable", "canary"]

DOCKERFILE = "model_images/Dockerfile"
MANIFEST = "config/manifest.json"
CONTEXTS_DIR = "build/contexts"
TAG_PREFIX = "ctx-"


@dataclass(frozen=True)
class ContextEntry:
    """One file of the context: literal bytes or a file to copy."""

    path: str
    data: bytes | None = None
    source: Path | None = None

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.source is not None
        return self.source.read_bytes()


@dataclass(frozen=True)
class PendingModel:
    """A model version whose SavedModel is not in the model store yet."""

    key: str
    model: str
    version: int
    expected: str
    command: str


@dataclass(frozen=True)
class BuildContext:
    server: str
    variant: Variant
    gpu: bool
    base: BaseImage
    served: tuple[tfconfig.ServedModel, ...]
    entries: tuple[ContextEntry, ...]
    pending: tuple[PendingModel, ...]
    # Computed once when planned, so the tag names the bytes that were planned.
    digest: str

    @property
    def build_args(self) -> dict[str, str]:
        return {"BASE_REPOSITORY": self.base.repository, "BASE_TAG": self.base.pinned_tag}

    @property
    def tag(self) -> str:
        return TAG_PREFIX + self.digest[:20]

    @property
    def model_tag(self) -> str:
        """Human tag naming the served models and versions, made unique by the content hash."""
        names = "_".join(f"{m.name}-v{'-'.join(str(v) for v in m.versions)}" for m in self.served)
        return f"{names[:100]}-{self.digest[:8]}"


def content_hash(entries: tuple[ContextEntry, ...]) -> str:
    """sha256 over sorted (path, size, bytes); the image tag derives from it."""
    digest = hashlib.sha256()
    for entry in sorted(entries, key=lambda e: e.path):
        data = entry.read()
        digest.update(f"{entry.path}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def served_versions(server: ServerSpec, model: ModelSpec, variant: Variant) -> tuple[int, ...]:
    """The canary image serves only the canary version of the canary model."""
    if variant == "canary":
        canary = server.canary_model
        if server.canary is None or canary is None:
            raise ValueError(f"server {server.name!r} has no canary")
        if canary.name == model.name:
            return (server.canary.version,)
    return tuple(sorted(model.versions))


def plan_context(
    spec: StackSpec,
    server: ServerSpec,
    variant: Variant,
    root: Path,
    lock: dict[str, str | None],
) -> BuildContext:
    """Everything the image of `server` (`variant`) contains, read from disk, written nowhere."""
    file = stack_file(spec.stack)
    index = next(i for i, s in enumerate(spec.servers) if s.name == server.name)
    pool = spec.pool(server.node_pool)
    gpu = pool is not None and pool.gpu is not None
    base = base_image(lock, spec.images.tf_serving_version, gpu)

    entries: list[ContextEntry] = []
    pending: list[PendingModel] = []
    served: list[tfconfig.ServedModel] = []
    manifest_models: list[dict[str, object]] = []
    for m_index, model in enumerate(server.models):
        key = _source_key(index, m_index)
        versions = served_versions(server, model, variant)
        served.append(tfconfig.served_model(model, versions))
        for version in versions:
            record: dict[str, object] = {"name": model.name, "version": version}
            source_dir = _source_dir(spec, model, version, root, file, key)
            if model.source.recipe is not None:
                record["recipe"] = model.source.recipe
                record["weights"] = model.source.weights
            else:
                record["path"] = model.source.path
            if is_saved_model(source_dir):
                record["state"] = "exported"
                entries += _tree(source_dir, f"models/{model.name}/{version}")
            else:
                assert model.source.recipe is not None
                record["state"] = "pending"
                record["recipeHash"] = recipe_source_hash(root, model.source.recipe)
                pending.append(
                    PendingModel(
                        key=key,
                        model=model.name,
                        version=version,
                        expected=f"{spec.model_store}/{model.name}/{version}",
                        command=export_command(
                            model.source.recipe,
                            model.name,
                            version,
                            model.source.weights,
                            spec.model_store,
                        ),
                    )
                )
            manifest_models.append(record)

    entries += _config_entries(server, tuple(served))
    manifest = {
        "base": base.ref,
        "gpu": gpu,
        "models": manifest_models,
        "server": server.name,
        "tfServingVersion": spec.images.tf_serving_version,
        "variant": variant,
    }
    entries.append(ContextEntry(MANIFEST, data=_json(manifest)))
    entries.append(ContextEntry("Dockerfile", source=root / DOCKERFILE))
    ordered = tuple(sorted(entries, key=lambda e: e.path))
    return BuildContext(
        server=server.name,
        variant=variant,
        gpu=gpu,
        base=base,
        served=tuple(served),
        entries=ordered,
        pending=tuple(pending),
        digest=content_hash(ordered),
    )


def _config_entries(
    server: ServerSpec, served: tuple[tfconfig.ServedModel, ...]
) -> list[ContextEntry]:
    entries = [
        ContextEntry("config/models.config", data=tfconfig.model_server_config(served).encode()),
        ContextEntry(
            "config/monitoring.config",
            data=tfconfig.monitoring_config(tfconfig.PrometheusConfig()).encode(),
        ),
    ]
    if server.batching is not None:
        entries.append(
            ContextEntry(
                "config/batching.config",
                data=tfconfig.batching_parameters(server.batching).encode(),
            )
        )
    return entries


def check_model_sources(spec: StackSpec, root: Path, file: str) -> None:
    """Every `path:` source holds each version it must serve: checked before any resource."""
    for index, server in enumerate(spec.servers):
        if server.image is not None:
            continue
        for m_index, model in enumerate(server.models):
            if model.source.path is None:
                continue
            key = _source_key(index, m_index)
            versions = set(model.versions)
            if server.canary is not None and server.canary_model == model:
                versions.add(server.canary.version)
            for version in sorted(versions):
                _source_dir(spec, model, version, root, file, key)


def _source_key(server_index: int, model_index: int) -> str:
    """The stack-file key of a model's source, which errors about it name."""
    return f"servestack:servers[{server_index}].models[{model_index}].source"


def _source_dir(
    spec: StackSpec, model: ModelSpec, version: int, root: Path, file: str, key: str
) -> Path:
    """Where a model version's SavedModel is; a `path:` source must exist."""
    if model.source.path is None:
        return root / spec.model_store / model.name / str(version)
    base = root / model.source.path
    if not base.is_dir():
        raise ConfigError(file, f"{key}.path", f"{model.source.path} is not a directory")
    version_dir = base / str(version)
    if not is_saved_model(version_dir):
        raise ConfigError(
            file,
            f"{key}.path",
            f"{model.source.path}/{version} holds no SavedModel (saved_model.pb)",
        )
    return version_dir


def _tree(directory: Path, prefix: str) -> Iterator[ContextEntry]:
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        yield ContextEntry(f"{prefix}/{path.relative_to(directory).as_posix()}", source=path)


def _json(value: object) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode()


def context_dir(root: Path, stack: str, server: str, variant: Variant) -> Path:
    return root / CONTEXTS_DIR / stack / f"{server}-{variant}"


def write_context(context: BuildContext, dest: Path) -> None:
    """Materialise the context (files 0644, dirs 0755); skipped when it is already current."""
    marker = dest.parent / f"{dest.name}.hash"
    digest = context.digest
    if dest.is_dir() and marker.is_file() and marker.read_text() == digest:
        return
    if dest.exists():
        shutil.rmtree(dest)
    for entry in context.entries:
        target = dest / entry.path
        _mkdirs(target.parent, dest)
        if entry.source is not None:
            shutil.copyfile(entry.source, target)
        else:
            assert entry.data is not None
            target.write_bytes(entry.data)
        target.chmod(0o644)
    dest.mkdir(parents=True, exist_ok=True)
    dest.chmod(0o755)
    marker.write_text(digest)


def _mkdirs(directory: Path, top: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    current = directory
    while current != top.parent and current.is_relative_to(top):
        current.chmod(0o755)
        current = current.parent
