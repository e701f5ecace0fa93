"""Export a recipe (or copy a SavedModel) to `<out>/<name>/<version>/`, with labels and warmup.

Exports go to a temporary sibling directory and are renamed into place, so a failed export
never leaves a half-written version that TF Serving would try to load.
"""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

from model_images import contract
from model_images.catalog import RECIPES
from model_images.sources import replace_dir

BYO = "savedmodel"


class ExportError(Exception):
    """A user-facing export failure (bad recipe, weights, existing target, bad path)."""


def export(
    recipe: str,
    version: int,
    out: Path,
    *,
    weights: str = "none",
    name: str | None = None,
    path: Path | None = None,
    force: bool = False,
) -> Path:
    """Write one model version and return its directory."""
    if version < 1:
        raise ExportError("--version must be >= 1")
    if recipe == BYO:
        if path is None:
            raise ExportError(f"recipe {BYO} needs --path to a SavedModel directory")
        name = name or path.resolve().name
    elif recipe not in RECIPES:
        raise ExportError(f"unknown recipe {recipe!r}; allowed: {', '.join([*RECIPES, BYO])}")
    elif weights not in RECIPES[recipe].weights:
        allowed = ", ".join(RECIPES[recipe].weights)
        raise ExportError(f"recipe {recipe} takes --weights {allowed}, not {weights!r}")
    elif path is not None:
        raise ExportError(f"--path is only for recipe {BYO}")
    target = out / (name or recipe) / str(version)
    if target.exists() and not force:
        raise ExportError(f"{target} exists; pass --force to replace it")

    def fill(work: Path) -> None:
        if recipe == BYO:
            assert path is not None
            _copy_saved_model(path, work, name or path.name)
        else:
            _export_recipe(recipe, weights, version, work, name or recipe, work.parent)

    return replace_dir(target, fill)


def _export_recipe(
    recipe: str, weights: str, version: int, work: Path, model_name: str, scratch: Path
) -> None:
    from model_images import signature, warmup

    module = importlib.import_module(RECIPES[recipe].module)
    if recipe in {"inception_v3", "resnet50"}:
        model, labels, size, preprocess = module.build(recipe, weights, version)
    else:
        model, labels, size, preprocess = module.build(weights, version)
    signature.export_image_classifier(
        model, labels, scratch / contract.LABELS_ASSET, size, preprocess, work
    )
    warmup.write(work, warmup.image_requests(model_name))


def _copy_saved_model(source: Path, work: Path, model_name: str) -> None:
    """Bring your own SavedModel: copied as is, warmup records added when it has none."""
    from model_images import warmup

    if not (source / "saved_model.pb").is_file():
        raise ExportError(f"--path {source}: no saved_model.pb (not a SavedModel directory)")
    shutil.copytree(source, work)
    if (work / contract.WARMUP_FILE).is_file():
        return
    # Warmup requests are synthesised from the signature as TF Serving reads it (the
    # SavedModelBundle's signature_def), not from the TF2 loader's view of the model.
    from model_images.tfserving import SavedModelBundle, ServingError

    try:
        with SavedModelBundle(work) as bundle:
            signature = bundle.signatures.get(contract.SIGNATURE)
    except ServingError as error:
        raise ExportError(f"--path {source}: {error}") from None
    if signature is None:
        raise ExportError(f"--path {source}: no {contract.SIGNATURE!r} signature")
    warmup.write(work, warmup.requests_for_signature_def(model_name, signature))
