"""Publish a model version once: export or import, gate as TF Serving loads, upload, lock.

Exports with random or downloaded weights are not byte-reproducible, so a version is made
once, gated, published, and from then on only fetched and verified against its lock digest.
Needs TensorFlow (the models environment).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from model_images.check import check_version
from model_images.export import BYO, export
from model_images.lock import LockedVersion, ModelLock, tree_digest, tree_size
from model_images.sources import publish_version


class PublishError(Exception):
    """One line: which version, and why it cannot be published or locked."""


def gated_entry(
    model: str, version: int, directory: Path, location: str, provenance: dict[str, str]
) -> LockedVersion:
    """The lock entry of a version on disk, after it passed the TF Serving-faithful gate."""
    report = check_version(model, version, directory)
    if not report.ok:
        raise PublishError(f"{model}/{version}: {report.problems[0]}")
    files, size = tree_size(directory)
    return LockedVersion(
        model=model,
        version=version,
        source=location,
        digest=tree_digest(directory),
        files=files,
        size=size,
        signature=report.signature,
        provenance=provenance,
    )


def lock_version(
    lock: ModelLock, model: str, version: int, directory: Path, location: str
) -> LockedVersion:
    """Record a fetched version; a locked version whose content changed is refused."""
    import tensorflow as tf

    existing = lock.get(model, version)
    provenance = dict(existing.provenance) if existing else {"tensorflow": tf.__version__}
    entry = gated_entry(model, version, directory, location, provenance)
    if existing is not None and existing.digest != entry.digest:
        raise PublishError(
            f"{model}/{version}: content {entry.digest} differs from the locked "
            f"{existing.digest}; a version is published once, so publish a new version number"
        )
    lock.put(entry)
    return entry


def publish(
    lock: ModelLock,
    model: str,
    version: int,
    location: str,
    root: Path,
    *,
    recipe: str | None,
    weights: str,
    from_dir: Path | None,
    on_disk: Path | None,
) -> LockedVersion:
    """Make, gate, upload and lock one version; `on_disk` also gets a copy for local builds."""
    import tensorflow as tf

    if lock.get(model, version) is not None:
        raise PublishError(f"{model}/{version}: already in the lock; a version is published once")
    if from_dir is None and recipe is None:
        raise PublishError(f"{model}/{version}: the source has no recipe; pass --from DIR")
    provenance = {"tensorflow": tf.__version__}
    with tempfile.TemporaryDirectory(prefix="servestack-publish-") as scratch:
        if from_dir is not None:
            made = export(BYO, version, Path(scratch), name=model, path=from_dir)
            provenance["imported"] = from_dir.name
        else:
            assert recipe is not None
            made = export(recipe, version, Path(scratch), weights=weights, name=model)
            provenance |= {"recipe": recipe, "weights": weights}
        entry = gated_entry(model, version, made, location, provenance)
        publish_version(made, location, root)
        if on_disk is not None and not on_disk.exists():
            on_disk.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(made, on_disk)
    lock.put(entry)
    return entry
