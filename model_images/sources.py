"""Where published model versions live, and moving them: fetch to disk, publish once.

A source base names one directory per version, as TF Serving lays out a model's base path:
`gs://bucket/prefix` (Cloud Storage, through google-cloud-storage), `file:///abs/dir` (a
mounted share, and the offline stand-in for a bucket in tests), or a path inside the
repository (tiny test models only). Publishing never overwrites: a version is published once
(Cloud Storage uploads carry `ifGenerationMatch=0`, the create-only precondition,
https://cloud.google.com/storage/docs/request-preconditions#special-case), so the lock's
digest stays true of what the source holds.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

GCS = "gs"
FILE = "file"


class SourceError(Exception):
    """A fetch or publish that cannot be done; one line, says which location and why."""


def version_location(base: str, version: int) -> str:
    return f"{base.rstrip('/')}/{version}"


def scheme(location: str) -> str:
    """`gs`, `file`, or `` for a repository path."""
    parsed = urlparse(location)
    return parsed.scheme if parsed.scheme in {GCS, FILE} else ""


def local_dir(location: str, root: Path) -> Path | None:
    """The directory a file:// or repository location names; None for a bucket."""
    kind = scheme(location)
    if kind == FILE:
        return Path(unquote(urlparse(location).path))
    if kind == "":
        return root / location
    return None


def fetch_version(location: str, dest: Path, root: Path) -> Path:
    """Bring one version onto disk at `dest` (written to a sibling, then renamed)."""
    directory = local_dir(location, root)
    if directory is not None:
        if not directory.is_dir():
            raise SourceError(f"{location}: no such directory")
        if directory.resolve() == dest.resolve():
            return dest
        return replace_dir(dest, lambda work: shutil.copytree(directory, work))
    bucket, prefix = _split_gs(location)
    client = _gcs_client()
    blobs = [b for b in client.list_blobs(bucket, prefix=prefix + "/") if not b.name.endswith("/")]
    if not blobs:
        raise SourceError(f"{location}: no objects under this prefix")

    def download(work: Path) -> None:
        for blob in blobs:
            relative = blob.name[len(prefix) + 1 :]
            target = work / relative
            if ".." in Path(relative).parts:
                raise SourceError(f"{location}: object name {blob.name!r} leaves the version")
            target.parent.mkdir(parents=True, exist_ok=True)
            blob.download_to_filename(str(target))

    return replace_dir(dest, download)


def publish_version(directory: Path, location: str, root: Path) -> None:
    """Upload or copy a gated version to where the lock will say it lives; never overwrite."""
    target = local_dir(location, root)
    if target is not None:
        if target.exists():
            raise SourceError(f"{location}: already published; a version is published once")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(directory, target)
        return
    bucket_name, prefix = _split_gs(location)
    client = _gcs_client()
    if any(True for _ in client.list_blobs(bucket_name, prefix=prefix + "/", max_results=1)):
        raise SourceError(f"{location}: already published; a version is published once")
    bucket = client.bucket(bucket_name)
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        blob = bucket.blob(f"{prefix}/{path.relative_to(directory).as_posix()}")
        blob.upload_from_filename(str(path), if_generation_match=0)


def replace_dir(dest: Path, fill: Callable[[Path], object]) -> Path:
    """Fill a sibling directory, then rename it over `dest`: TF Serving, a build or a fetch
    never sees a half-written version."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        work = staging / "version"
        fill(work)
        work.mkdir(exist_ok=True)
        if dest.exists():
            shutil.rmtree(dest)
        work.rename(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def _split_gs(location: str) -> tuple[str, str]:
    parsed = urlparse(location)
    prefix = parsed.path.strip("/")
    if parsed.scheme != GCS or not parsed.netloc or not prefix:
        raise SourceError(f"{location}: expected gs://<bucket>/<prefix>/<version>")
    return parsed.netloc, prefix


def _gcs_client() -> Any:
    try:
        from google.cloud import storage  # type: ignore[import-untyped, unused-ignore]
    except ModuleNotFoundError:
        raise SourceError(
            "google-cloud-storage is not installed here; run `make install` or `make models-env`"
        ) from None
    if os.environ.get("STORAGE_EMULATOR_HOST"):
        # The client library talks to the emulator named by STORAGE_EMULATOR_HOST; it needs
        # no credentials there.
        from google.auth.credentials import AnonymousCredentials

        anonymous = AnonymousCredentials()  # type: ignore[no-untyped-call]
        return storage.Client(credentials=anonymous, project="servestack-test")
    try:
        return storage.Client()
    except Exception as error:  # noqa: BLE001 - auth/config errors become one line
        raise SourceError(f"Cloud Storage client: {str(error).splitlines()[0]}") from None
