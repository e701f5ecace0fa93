"""The TF Serving base image of a model image, pinned through model_images/base-images.lock.

Digests are never written by hand: the lock is refreshed from the registry by
scripts/lock-base-images.py (or Renovate). An entry the refresh has not filled yet is
`unpinned`; builds of stacks that do not allow that refuse it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

LOCK_FILE = "model_images/base-images.lock"
REPOSITORY = "tensorflow/serving"
UNPINNED = "unpinned"
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


class LockError(ValueError):
    """The lock file is malformed; names the line."""


@dataclass(frozen=True)
class BaseImage:
    repository: str
    tag: str
    digest: str | None

    @property
    def name(self) -> str:
        return f"{self.repository}:{self.tag}"

    @property
    def pinned_tag(self) -> str:
        """`tag@sha256:...` when pinned, else `tag`: what follows `repo:` in FROM."""
        return f"{self.tag}@{self.digest}" if self.digest else self.tag

    @property
    def ref(self) -> str:
        """`repo:tag@sha256:...` when pinned, else `repo:tag`."""
        return f"{self.repository}:{self.pinned_tag}"

    @property
    def pinned(self) -> bool:
        return self.digest is not None


def parse_lock(text: str, *, file: str = LOCK_FILE) -> dict[str, str | None]:
    """`repository:tag` -> digest (None when unpinned). Comments and blank lines ignored."""
    entries: dict[str, str | None] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2 or ":" not in parts[0]:
            raise LockError(f"{file}:{number}: expected `<repository>:<tag> <digest|unpinned>`")
        name, digest = parts
        if digest != UNPINNED and not _DIGEST.match(digest):
            raise LockError(f"{file}:{number}: {digest!r} is neither sha256:<64 hex> nor unpinned")
        if name in entries:
            raise LockError(f"{file}:{number}: {name} is listed twice")
        entries[name] = None if digest == UNPINNED else digest
    return entries


def render_lock(header: str, entries: dict[str, str | None]) -> str:
    """The lock text for `entries` (sorted), under a comment header."""
    lines = [header.rstrip("\n")] if header else []
    lines += [f"{name} {digest or UNPINNED}" for name, digest in sorted(entries.items())]
    return "\n".join(lines) + "\n"


def lock_header(text: str) -> str:
    """The leading comment block of a lock file, kept when the lock is rewritten."""
    header: list[str] = []
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            header.append(line)
        else:
            break
    return "\n".join(header).rstrip("\n")


def base_tag(tf_serving_version: str, gpu: bool) -> str:
    """Upstream's tag scheme: `2.19.1` for CPU, `2.19.1-gpu` for the CUDA build."""
    return f"{tf_serving_version}-gpu" if gpu else tf_serving_version


def base_image(lock: dict[str, str | None], tf_serving_version: str, gpu: bool) -> BaseImage:
    """The base for a TF Serving version and device; absent from the lock means unpinned."""
    tag = base_tag(tf_serving_version, gpu)
    return BaseImage(REPOSITORY, tag, lock.get(f"{REPOSITORY}:{tag}"))


def read_lock(root: Path) -> dict[str, str | None]:
    path = root / LOCK_FILE
    return parse_lock(path.read_text(encoding="utf-8"), file=LOCK_FILE)
