"""Refresh model_images/base-images.lock from the registry (Docker Hub's v2 API).

Runs where the registry is reachable (CI, a workstation): `make lock-base-images`. The digest
recorded is the one the registry serves for the tag's manifest list, so builds on any
platform resolve the same pinned base.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path

from infra.images.baseimage import (
    LOCK_FILE,
    REPOSITORY,
    base_tag,
    lock_header,
    parse_lock,
    render_lock,
)

DigestLookup = Callable[[str, str], str]

_AUTH = "https://auth.docker.io/token?service=registry.docker.io&scope=repository:{repo}:pull"
_MANIFEST = "https://registry-1.docker.io/v2/{repo}/manifests/{tag}"
_ACCEPT = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)


def docker_hub_digest(repository: str, tag: str) -> str:
    """The `Docker-Content-Digest` of `repository:tag` (anonymous pull token)."""
    with urllib.request.urlopen(_AUTH.format(repo=repository), timeout=30) as response:
        token = json.load(response)["token"]
    request = urllib.request.Request(
        _MANIFEST.format(repo=repository, tag=tag),
        method="HEAD",
        headers={"Authorization": f"Bearer {token}", "Accept": _ACCEPT},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        digest: str = response.headers["Docker-Content-Digest"]
    return digest


def refreshed(text: str, versions: Iterable[str], lookup: DigestLookup) -> str:
    """The lock with every CPU and GPU tag of `versions` (plus existing entries) re-resolved."""
    entries = parse_lock(text)
    for version in versions:
        for gpu in (False, True):
            entries.setdefault(f"{REPOSITORY}:{base_tag(version, gpu)}", None)
    for name in sorted(entries):
        repository, _, tag = name.rpartition(":")
        entries[name] = lookup(repository, tag)
    rendered = render_lock(lock_header(text), entries)
    parse_lock(rendered)  # a lookup that returned garbage fails here, not in a build
    return rendered


def refresh(root: Path, versions: Iterable[str], lookup: DigestLookup = docker_hub_digest) -> None:
    path = root / LOCK_FILE
    path.write_text(refreshed(path.read_text(encoding="utf-8"), versions, lookup))
