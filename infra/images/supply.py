"""The model versions a stack serves, and bringing them onto disk exactly as the lock says.

`servestack models fetch` runs this in the deploy environment (no TensorFlow): every served
version comes from the location the lock records, lands where the image build looks for it
(the model store, or in place for repository paths), and must have the lock's digest.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from infra.config import StackSpec, stack_file
from infra.images.context import stack_versions
from model_images.lock import LOCK_FILE, ModelLock, tree_digest
from model_images.sources import SourceError, fetch_version, local_dir, version_location


class SupplyError(Exception):
    """One line naming the stack file, the key and what is wrong; exit 2."""


@dataclass(frozen=True)
class ServedVersion:
    """One model version a stack's images bake."""

    file: str
    key: str
    model: str
    version: int
    location: str
    """Where the version is published: the stack source's base plus the version."""
    on_disk: Path
    """Where a build reads it: the repository path itself, or the model store."""
    recipe: str | None
    weights: str
    in_repository: bool


def served_versions(spec: StackSpec, root: Path) -> list[ServedVersion]:
    """Every (model, version) the stack's model images bake, canaries included, once each."""
    found: dict[tuple[str, int], ServedVersion] = {}
    for key, model, version in stack_versions(spec):
        location = version_location(model.source.base, version)
        in_repository = model.source.path is not None
        on_disk = (
            root / location
            if in_repository
            else root / spec.model_store / model.name / str(version)
        )
        found.setdefault(
            (model.name, version),
            ServedVersion(
                file=stack_file(spec.stack),
                key=key,
                model=model.name,
                version=version,
                location=location,
                on_disk=on_disk,
                recipe=model.source.recipe,
                weights=model.source.weights,
                in_repository=in_repository,
            ),
        )
    return [found[k] for k in sorted(found)]


def fetch(spec: StackSpec, root: Path, lock: ModelLock) -> Iterator[str]:
    """Fetch and verify every served version; yields one status line per version."""
    for served in served_versions(spec, root):
        name = f"{served.model}/{served.version}"
        locked = lock.get(served.model, served.version)
        if locked is None:
            raise SupplyError(
                f"{served.file}: {served.key}.versions: {name} is not in {LOCK_FILE}; "
                f"publish it with `servestack models publish --stack {spec.stack}`"
            )
        if locked.source.rstrip("/") != served.location:
            raise SupplyError(
                f"{served.file}: {served.key}.source: {name} is locked from {locked.source}, "
                f"not {served.location}"
            )
        state = "verified"
        if not (served.on_disk.is_dir() and tree_digest(served.on_disk) == locked.digest):
            if served.in_repository:
                raise SupplyError(
                    f"{served.file}: {served.key}.source: {name} at {served.location} "
                    f"differs from {LOCK_FILE} (or is missing)"
                )
            try:
                fetch_version(locked.source, served.on_disk, root)
            except SourceError as error:
                raise SupplyError(f"{served.file}: {served.key}.source: {error}") from None
            state = "fetched"
        found = tree_digest(served.on_disk)
        if found != locked.digest:
            raise SupplyError(
                f"{served.file}: {served.key}.source: {name} from {locked.source} has "
                f"{found}, the lock says {locked.digest}; refusing it"
            )
        yield f"{state:9} {name} {locked.digest[:19]} {_where(served, root)}"


def _where(served: ServedVersion, root: Path) -> str:
    directory = local_dir(served.location, root) if served.in_repository else served.on_disk
    assert directory is not None
    try:
        return directory.relative_to(root).as_posix()
    except ValueError:
        return str(directory)
