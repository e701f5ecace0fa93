"""Refresh model_images/base-images.lock from the registries (the Docker registry v2 API).

Runs where the registries are reachable (CI, a workstation): `make lock-base-images`. The
digest recorded is the one the registry serves for the tag's manifest list, so builds on any
platform resolve the same pinned base. Besides the TF Serving bases, the lock pins the images
the stacks deploy as they are (the metrics adapter), looked up on their own registry.
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
# Container Registry's anonymous pull token for a public image (the registry v2 token flow,
# https://distribution.github.io/distribution/spec/auth/token/).
_GCR_AUTH = "https://{host}/v2/token?service={host}&scope=repository:{repo}:pull"
_GCR_MANIFEST = "https://{host}/v2/{repo}/manifests/{tag}"
_GCR_HOSTS = ("gcr.io", "us.gcr.io", "eu.gcr.io", "asia.gcr.io")
_ACCEPT = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)


def _head_digest(auth_url: str, manifest_url: str) -> str:
    """The `Docker-Content-Digest` of a manifest, with an anonymous pull token."""
    with urllib.request.urlopen(auth_url, timeout=30) as response:
        token = json.load(response)["token"]
    request = urllib.request.Request(
        manifest_url,
        method="HEAD",
        headers={"Authorization": f"Bearer {token}", "Accept": _ACCEPT},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        digest: str = response.headers["Docker-Content-Digest"]
    return digest


def docker_hub_digest(repository: str, tag: str) -> str:
    """The digest of Docker Hub's `repository:tag`."""
    return _head_digest(_AUTH.format(repo=repository), _MANIFEST.format(repo=repository, tag=tag))


def registry_host(repository: str) -> str | None:
    """The registry host of a repository (`gcr.io/...`), None for Docker Hub's `org/name`."""
    first, _, rest = repository.partition("/")
    return first if rest and ("." in first or ":" in first) else None


def registry_digest(repository: str, tag: str) -> str:
    """The digest of `repository:tag` on its own registry: Docker Hub or Container Registry."""
    host = registry_host(repository)
    if host is None:
        return docker_hub_digest(repository, tag)
    if host not in _GCR_HOSTS:
        raise ValueError(f"{repository}: no digest lookup for registry {host}")
    repo = repository.split("/", 1)[1]
    return _head_digest(
        _GCR_AUTH.format(host=host, repo=repo), _GCR_MANIFEST.format(host=host, repo=repo, tag=tag)
    )


def refreshed(
    text: str, versions: Iterable[str], lookup: DigestLookup, images: Iterable[str] = ()
) -> str:
    """The lock with every CPU and GPU tag of `versions`, every `repo:tag` of `images` and
    every existing entry re-resolved."""
    entries = parse_lock(text)
    for image in images:
        entries.setdefault(image, None)
    for version in versions:
        for gpu in (False, True):
            entries.setdefault(f"{REPOSITORY}:{base_tag(version, gpu)}", None)
    for name in sorted(entries):
        repository, _, tag = name.rpartition(":")
        entries[name] = lookup(repository, tag)
    rendered = render_lock(lock_header(text), entries)
    parse_lock(rendered)  # a lookup that returned garbage fails here, not in a build
    return rendered


def refresh(
    root: Path,
    versions: Iterable[str],
    lookup: DigestLookup = registry_digest,
    images: Iterable[str] = (),
) -> None:
    path = root / LOCK_FILE
    path.write_text(refreshed(path.read_text(encoding="utf-8"), versions, lookup, images))
