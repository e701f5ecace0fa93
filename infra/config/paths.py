"""Paths a stack file names (`modelStore`, `servers[].models[].source.path`) stay in the repository.

A `..` or an absolute path would let a stack file read (and bake into an image) any directory
of the machine running the preview or the deploy. Each path must resolve inside the project
root, or inside a directory the stack file lists in `externalPaths` on purpose.
The lexical check runs with the rest of the validation; `check_resolved` follows symlinks
once the project root is known, before anything is declared.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from infra.config.errors import ConfigError, KeyedError

if TYPE_CHECKING:
    from infra.config.stack import StackSpec


def named_paths(spec: StackSpec) -> Iterator[tuple[str, str]]:
    """(dotted key, path) of every repository path the stack file names."""
    yield "servestack:modelStore", spec.model_store
    for s_index, server in enumerate(spec.servers):
        for m_index, model in enumerate(server.models):
            if model.source.path is not None:
                key = f"servestack:servers[{s_index}].models[{m_index}].source.path"
                yield key, model.source.path


def _allowed(path: PurePosixPath, spec: StackSpec) -> bool:
    return any(
        path == PurePosixPath(a) or PurePosixPath(a) in path.parents for a in spec.external_paths
    )


def check_lexical(spec: StackSpec) -> None:
    """No path climbs out with `..` or starts at `/`, unless under an allowed external path."""
    for key, raw in named_paths(spec):
        path = PurePosixPath(raw)
        if ".." in path.parts and not path.is_absolute():
            raise KeyedError(
                key, f"must stay inside the repository; `..` is not allowed (got {raw!r})"
            )
        if path.is_absolute() and (".." in path.parts or not _allowed(path, spec)):
            raise KeyedError(
                key,
                f"must be a path inside the repository (got {raw!r}); "
                "list outside directories in servestack:externalPaths",
            )


def check_resolved(spec: StackSpec, root: Path, file: str) -> None:
    """With symlinks followed, every path still lies in the repository or an allowed path."""
    base = root.resolve()
    allowed = [Path(a).resolve() for a in spec.external_paths]
    for key, raw in named_paths(spec):
        target = (base / raw).resolve()
        inside = [base, *allowed]
        if not any(target == top or top in target.parents for top in inside):
            raise ConfigError(
                file,
                key,
                f"resolves outside the repository (to {target}); "
                "list outside directories in servestack:externalPaths",
            )
