"""Which export recipes exist and which source files make each one (no TensorFlow here).

The build context of a model that was not exported yet records the recipe's source hash, so
an image tag still changes when a recipe changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

# Files every recipe's export depends on, relative to the project root.
_SHARED = (
    "model_images/contract.py",
    "model_images/export.py",
    "model_images/signature.py",
    "model_images/warmup.py",
)

# What TF Serving loads as a SavedModel version (binary or text protobuf).
SAVED_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")


@dataclass(frozen=True)
class Recipe:
    name: str
    module: str
    sources: tuple[str, ...]
    weights: tuple[str, ...]


RECIPES: dict[str, Recipe] = {
    "tiny": Recipe(
        "tiny", "model_images.recipes.tiny", ("model_images/recipes/tiny.py",), ("none",)
    ),
    "inception_v3": Recipe(
        "inception_v3",
        "model_images.recipes.applications",
        ("model_images/recipes/applications.py",),
        ("imagenet", "none"),
    ),
    "resnet50": Recipe(
        "resnet50",
        "model_images.recipes.applications",
        ("model_images/recipes/applications.py",),
        ("imagenet", "none"),
    ),
}


def is_saved_model(directory: Path) -> bool:
    """A SavedModel version directory: it holds saved_model.pb (or its text form)."""
    return any((directory / name).is_file() for name in SAVED_MODEL_FILES)


def recipe_source_hash(root: Path, recipe: str) -> str:
    """sha256 over the recipe's own and the shared export sources (paths + bytes, sorted)."""
    digest = hashlib.sha256()
    for relative in sorted({*_SHARED, *RECIPES[recipe].sources}):
        digest.update(relative.encode() + b"\0")
        digest.update((root / relative).read_bytes() + b"\0")
    return digest.hexdigest()


def export_command(recipe: str, name: str, version: int, weights: str, out: str) -> str:
    """The `servestack export` command line that writes `<out>/<name>/<version>`."""
    parts = ["servestack", "export", recipe, "--version", str(version), "--out", out]
    if name != recipe:
        parts += ["--name", name]
    if weights != "none":
        parts += ["--weights", weights]
    return " ".join(parts)
