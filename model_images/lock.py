"""The model lock: every published model version, its source, content digest and signature.

One lock for the repository (model_images/models.lock), not one per stack: a version is
published once and is the same artifact in every stack that serves it, so dev, staging and
prod select versions from one list and cannot disagree about what `resnet` version 3 is.
Plans, image tags and builds derive from this file, never from whether model files happen
to be on disk. Plain Python: the deploy path reads it without TensorFlow.

The digest of a version directory is defined so anyone can recompute it with coreutils:
the manifest is one `<sha256 hex>  <relative/path>` line per regular file (two spaces, `/`
separators, UTF-8), sorted by path bytes, each line ending in a newline; the digest is the
sha256 of that manifest:

    cd <version-dir> && find . -type f -printf '%P\\n' | LC_ALL=C sort \\
      | xargs -d '\\n' sha256sum | sha256sum
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOCK_FILE = "model_images/models.lock"
LOCK_VERSION = 1
_CHUNK = 1 << 20


class ModelLockError(ValueError):
    """The lock file is malformed, or a version is missing from it; says which."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def manifest(directory: Path) -> str:
    """The `sha256sum`-format manifest of every regular file under `directory`."""
    files = sorted(
        (p for p in directory.rglob("*") if p.is_file() and not p.is_symlink()),
        key=lambda p: p.relative_to(directory).as_posix().encode(),
    )
    return "".join(f"{file_sha256(p)}  {p.relative_to(directory).as_posix()}\n" for p in files)


def tree_digest(directory: Path) -> str:
    """`sha256:<hex>` of the manifest: the content identity of one model version."""
    return "sha256:" + hashlib.sha256(manifest(directory).encode()).hexdigest()


def tree_size(directory: Path) -> tuple[int, int]:
    """(files, bytes) of a version directory."""
    files = [p for p in directory.rglob("*") if p.is_file() and not p.is_symlink()]
    return len(files), sum(p.stat().st_size for p in files)


@dataclass(frozen=True)
class LockedVersion:
    """One published model version, as recorded in the lock."""

    model: str
    version: int
    source: str
    """Where the artifact is published: gs://bucket/prefix/<version>, file://..., or a
    repository path (tiny test models only)."""
    digest: str
    """sha256 of the version's manifest (see the module docstring)."""
    files: int
    size: int
    """Total bytes of the version's files."""
    signature: dict[str, Any] = field(default_factory=dict)
    """serving_default inputs and outputs: dtype and shape (-1 for any size)."""
    provenance: dict[str, str] = field(default_factory=dict)
    """How it was made: recipe and weights, or the imported directory; TensorFlow version."""

    def as_json(self) -> dict[str, Any]:
        return {
            "digest": self.digest,
            "files": self.files,
            "provenance": dict(sorted(self.provenance.items())),
            "signature": self.signature,
            "size": self.size,
            "source": self.source,
        }


@dataclass
class ModelLock:
    versions: dict[tuple[str, int], LockedVersion] = field(default_factory=dict)

    def get(self, model: str, version: int) -> LockedVersion | None:
        return self.versions.get((model, version))

    def put(self, entry: LockedVersion) -> None:
        self.versions[(entry.model, entry.version)] = entry

    def render(self) -> str:
        models: dict[str, dict[str, Any]] = {}
        for (model, version), entry in sorted(self.versions.items()):
            models.setdefault(model, {})[str(version)] = entry.as_json()
        document = {"lockVersion": LOCK_VERSION, "models": models}
        return json.dumps(document, indent=2, sort_keys=True) + "\n"


def parse_lock(text: str, *, file: str = LOCK_FILE) -> ModelLock:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ModelLockError(f"{file}:{error.lineno}: not JSON ({error.msg})") from None
    if not isinstance(document, dict) or document.get("lockVersion") != LOCK_VERSION:
        raise ModelLockError(f"{file}: lockVersion must be {LOCK_VERSION}")
    lock = ModelLock()
    models = document.get("models", {})
    if not isinstance(models, dict):
        raise ModelLockError(f"{file}: models must be a mapping")
    for model, versions in models.items():
        if not isinstance(versions, dict):
            raise ModelLockError(f"{file}: models.{model} must be a mapping of versions")
        for version, raw in versions.items():
            where = f"{file}: models.{model}.{version}"
            if not version.isdigit() or not isinstance(raw, dict):
                raise ModelLockError(f"{where}: expected a numbered version entry")
            try:
                entry = LockedVersion(
                    model=model,
                    version=int(version),
                    source=str(raw["source"]),
                    digest=str(raw["digest"]),
                    files=int(raw["files"]),
                    size=int(raw["size"]),
                    signature=dict(raw.get("signature", {})),
                    provenance={k: str(v) for k, v in raw.get("provenance", {}).items()},
                )
            except (KeyError, TypeError, ValueError) as error:
                raise ModelLockError(f"{where}: missing or malformed {error}") from None
            if not entry.digest.startswith("sha256:") or len(entry.digest) != 71:
                raise ModelLockError(f"{where}.digest: expected sha256:<64 hex>")
            lock.put(entry)
    return lock


def read_lock(root: Path) -> ModelLock:
    path = root / LOCK_FILE
    if not path.is_file():
        return ModelLock()
    return parse_lock(path.read_text(encoding="utf-8"))


def write_lock(root: Path, lock: ModelLock) -> Path:
    path = root / LOCK_FILE
    path.write_text(lock.render(), encoding="utf-8")
    return path
