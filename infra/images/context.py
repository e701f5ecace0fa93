"""Build context of a model image: what goes in it, its tag, and writing it out.

Everything about a context derives from the stack spec and the model lock
(model_images/models.lock), never from whether model files happen to be on disk: a fresh
clone, a tree with every model fetched and the deploy job plan byte-identical images. The
files of each baked version are needed only to build, and a build checks them against the
lock digest first (`verify_models`).

The image tag is one formula (docs/environments.md, "Image tags"): sha256 over a canonical
JSON document of the baked versions' lock digests, every TF Serving config file of the
context, the Dockerfile, the base image reference with its digest, and the target platform;
`ctx-` plus its first 20 hex digits.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from infra.config import ConfigError, ModelSpec, ServerSpec, StackSpec, stack_file
from infra.config.targets import ImageTarget, ServerImage, image_target, server_image
from infra.images import tfconfig
from infra.images.baseimage import BaseImage, base_image
from infra.images.baseimage import read_lock as read_base_lock
from infra.serving.labels import served_versions
from model_images.lock import LOCK_FILE, LockedVersion, ModelLock, read_lock, tree_digest
from model_images.sources import local_dir, version_location

Variant = Literal["stable", "canary"]

DOCKERFILE = "model_images/Dockerfile"
MANIFEST = "config/manifest.json"
CONTEXTS_DIR = "build/contexts"
TAG_PREFIX = "ctx-"


@dataclass(frozen=True)
class ContextEntry:
    """One file of the context other than model files: literal bytes or a file to copy."""

    path: str
    data: bytes | None = None
    source: Path | None = None

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.source is not None
        return self.source.read_bytes()


@dataclass(frozen=True)
class BakedVersion:
    """One model version the image carries, as the lock records it."""

    key: str
    """Stack-file key of the model's versions (errors about it name this)."""
    locked: LockedVersion
    local: Path
    """Where its files must be for a build: the model store, or the repository path."""

    @property
    def context_path(self) -> str:
        return f"models/{self.locked.model}/{self.locked.version}"


@dataclass(frozen=True)
class BuildContext:
    server: str
    variant: Variant
    gpu: bool
    base: BaseImage
    platform: str
    served: tuple[tfconfig.ServedModel, ...]
    entries: tuple[ContextEntry, ...]
    models: tuple[BakedVersion, ...]
    # Computed once when planned, so the tag names what was planned.
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


def tag_digest(
    entries: tuple[ContextEntry, ...],
    models: tuple[BakedVersion, ...],
    base: BaseImage,
    platform: str,
) -> str:
    """The one tag formula: lock digests, config files, Dockerfile, base ref, platform."""
    document = {
        "base": base.ref,
        "files": {e.path: hashlib.sha256(e.read()).hexdigest() for e in entries},
        "models": [
            {"digest": m.locked.digest, "name": m.locked.model, "version": m.locked.version}
            for m in models
        ],
        "platform": platform,
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class ImageLocks:
    """The two locks every image of a stack is planned from, read once per program run."""

    base: dict[str, str | None]
    """model_images/base-images.lock: `repository:tag` -> digest (None while unpinned)."""
    models: ModelLock
    """model_images/models.lock: every published model version."""

    @classmethod
    def read(cls, root: Path) -> ImageLocks:
        return cls(read_base_lock(root), read_lock(root))


def plan_context(
    target: ImageTarget, image: ServerImage, variant: Variant, root: Path, locks: ImageLocks
) -> BuildContext:
    """Everything the image of one server (`variant`) contains, from its inputs and the locks."""
    server = image.server
    base = base_image(locks.base, target.images.tf_serving_version, image.gpu)

    if variant == "canary" and server.canary_model is None:
        raise ValueError(f"server {server.name!r} has no canary")
    models: list[BakedVersion] = []
    served: list[tfconfig.ServedModel] = []
    # The same versions the Deployment's labels record: the canary image serves only the
    # canary version of the canary model.
    track_versions = served_versions(server, variant)
    for m_index, model in enumerate(server.models):
        versions = track_versions[m_index][1]
        served.append(tfconfig.served_model(model, versions))
        for version in versions:
            key = _key(image.index, m_index)
            models.append(_baked(target, locks.models, model, version, root, key))

    entries = _config_entries(server, tuple(served))
    manifest = {
        "base": base.ref,
        "gpu": image.gpu,
        "models": [
            {
                "digest": m.locked.digest,
                "name": m.locked.model,
                "source": m.locked.source,
                "version": m.locked.version,
            }
            for m in models
        ],
        "platform": target.images.platform,
        "server": server.name,
        "tfServingVersion": target.images.tf_serving_version,
        "variant": variant,
    }
    baked = tuple(models)
    entries.append(ContextEntry(MANIFEST, data=_json(manifest)))
    template = (root / DOCKERFILE).read_text(encoding="utf-8")
    entries.append(ContextEntry("Dockerfile", data=dockerfile_text(template, baked).encode()))
    ordered = tuple(sorted(entries, key=lambda e: e.path))
    return BuildContext(
        server=server.name,
        variant=variant,
        gpu=image.gpu,
        base=base,
        platform=target.images.platform,
        served=tuple(served),
        entries=ordered,
        models=baked,
        digest=tag_digest(ordered, baked, base, target.images.platform),
    )


def plan_for(
    spec: StackSpec,
    server: ServerSpec,
    variant: Variant,
    root: Path,
    base_lock: dict[str, str | None],
    model_lock: ModelLock | None = None,
) -> BuildContext:
    """`plan_context` for a server of a whole stack (checks, tests and tools)."""
    locks = ImageLocks(base_lock, read_lock(root) if model_lock is None else model_lock)
    return plan_context(image_target(spec), server_image(spec, server), variant, root, locks)


def _baked(
    target: ImageTarget,
    locks: ModelLock,
    model: ModelSpec,
    version: int,
    root: Path,
    key: str,
    file: str | None = None,
) -> BakedVersion:
    """The lock entry of one served version; missing or elsewhere is a config error."""
    file = file or stack_file(target.stack)
    locked = locks.get(model.name, version)
    publish = f"servestack models publish --stack {target.stack}"
    if locked is None:
        raise ConfigError(
            file,
            f"{key}.versions",
            f"{model.name} version {version} is not in {LOCK_FILE}; publish it with `{publish}`",
        )
    expected = version_location(model.source.base, version)
    if locked.source.rstrip("/") != expected:
        raise ConfigError(
            file,
            f"{key}.source",
            f"{model.name} version {version} is locked from {locked.source}, not {expected}; "
            f"publish it there (`{publish}`) or point the source at where it was published",
        )
    repository_dir = local_dir(locked.source, root) if model.source.path is not None else None
    local = repository_dir or (root / target.model_store / model.name / str(version))
    return BakedVersion(key=key, locked=locked, local=local)


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


def stack_versions(spec: StackSpec) -> Iterator[tuple[str, ModelSpec, int]]:
    """(stack-file key, model, version) of every version the stack's images bake, canaries
    included; servers with a prebuilt image bake nothing."""
    for index, server in enumerate(spec.servers):
        if server.image is not None:
            continue
        for m_index, model in enumerate(server.models):
            versions = set(model.versions)
            if server.canary is not None and server.canary_model == model:
                versions.add(server.canary.version)
            for version in sorted(versions):
                yield _key(index, m_index), model, version


def check_model_sources(spec: StackSpec, root: Path, file: str) -> None:
    """Every version a server bakes is in the model lock, from its source: before any resource."""
    from infra.config.paths import check_resolved

    check_resolved(spec, root, file)  # paths stay in the repository, symlinks followed
    locks = read_lock(root)
    target = image_target(spec)
    for key, model, version in stack_versions(spec):
        _baked(target, locks, model, version, root, key, file)


def verify_models(target: ImageTarget, context: BuildContext) -> None:
    """A build bakes exactly what the lock says: every version on disk, with its digest."""
    file = stack_file(target.stack)
    fetch = f"servestack models fetch --stack {target.stack}"
    for baked in context.models:
        name = f"{baked.locked.model} version {baked.locked.version}"
        if not baked.local.is_dir():
            raise ConfigError(
                file,
                f"{baked.key}.versions",
                f"{name} is not fetched to {baked.local}; run `{fetch}`",
            )
        found = tree_digest(baked.local)
        if found != baked.locked.digest:
            raise ConfigError(
                file,
                f"{baked.key}.versions",
                f"{name} at {baked.local} differs from {LOCK_FILE} ({found} != "
                f"{baked.locked.digest}); run `{fetch}`",
            )


def _key(server_index: int, model_index: int) -> str:
    """The stack-file key of a model, which errors about it name."""
    return f"servestack:servers[{server_index}].models[{model_index}]"


def _json(value: object) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode()


def context_dir(root: Path, stack: str, server: str, variant: Variant) -> Path:
    return root / CONTEXTS_DIR / stack / f"{server}-{variant}"


# Fixed timestamps on every context file, so a version's layer has the same bytes (and the
# same digest) in every build that bakes it: BuildKit keeps source mtimes in COPY layers.
CONTEXT_MTIME = 946684800  # 2000-01-01T00:00:00Z


def dockerfile_text(template: str, models: tuple[BakedVersion, ...]) -> str:
    """The Dockerfile with one `COPY` per baked version, so each version is its own layer."""
    line = "COPY models/ /models/"
    if line not in template.splitlines():
        raise ValueError(f"{DOCKERFILE} has no `{line}` line to expand")
    copies = "\n".join(f"COPY {m.context_path}/ /{m.context_path}/" for m in models)
    return "\n".join(copies if row == line else row for row in template.splitlines()) + "\n"


def write_context(context: BuildContext, dest: Path, *, with_models: bool) -> None:
    """Materialise the context (files 0644, dirs 0755, fixed mtimes); skipped when current.

    Model files are copied only for a build (`with_models`, after `verify_models`): a
    preview needs the Dockerfile and config, and must not depend on what is on disk.
    """
    marker = dest.parent / f"{dest.name}.hash"
    stamp = context.digest + (" with-models" if with_models else "")
    if dest.is_dir() and marker.is_file() and marker.read_text() == stamp:
        return
    if dest.exists():
        shutil.rmtree(dest)
    for entry in context.entries:
        target = dest / entry.path
        _mkdirs(target.parent, dest)
        target.write_bytes(entry.read())
    if with_models:
        for baked in context.models:
            shutil.copytree(baked.local, dest / baked.context_path, copy_function=shutil.copyfile)
    dest.mkdir(parents=True, exist_ok=True)
    for path in sorted(dest.rglob("*"), reverse=True):
        path.chmod(0o755 if path.is_dir() else 0o644)
        os.utime(path, (CONTEXT_MTIME, CONTEXT_MTIME))
    dest.chmod(0o755)
    os.utime(dest, (CONTEXT_MTIME, CONTEXT_MTIME))
    marker.write_text(stamp)


def _mkdirs(directory: Path, top: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    current = directory
    while current != top.parent and current.is_relative_to(top):
        current.chmod(0o755)
        current = current.parent
