"""`servestack export` and `servestack models ...`: export recipes and the contract gate.

These commands need the models environment (TensorFlow; see docs/environments.md). TensorFlow
is imported inside the commands only, so `servestack --help` works without it.

Exit codes: 0 success, 1 a model failed the contract check, 2 bad usage, bad stack file or
failed export, 3 TensorFlow is not installed here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_NO_TENSORFLOW = 3

models_app = typer.Typer(
    help="Model export and the serving-contract gate (models environment).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.command("export")(export_command)
    app.add_typer(models_app, name="models")


def _fail(message: str, code: int) -> typer.Exit:
    print(f"servestack: {message}", file=sys.stderr)
    return typer.Exit(code)


def _models_env_command() -> Path | None:
    """The models environment's `servestack`, when this process is not already it."""
    from infra.cli.app import project_root

    candidate = project_root() / ".venv-models" / "bin" / "servestack"
    if not candidate.is_file() or Path(sys.prefix).resolve() == candidate.parents[1].resolve():
        return None
    return candidate


def _need_tensorflow() -> None:
    """Run here if TensorFlow is importable, else hand the same command to .venv-models."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow  # noqa: F401
    except ModuleNotFoundError:
        delegate = _models_env_command()
        if delegate is not None:
            # The deploy environment has no TensorFlow by design; the models one does.
            os.execv(delegate, [str(delegate), *sys.argv[1:]])
        raise _fail(
            "TensorFlow is not installed here; run `make models-env` and use "
            ".venv-models/bin/servestack",
            EXIT_NO_TENSORFLOW,
        ) from None


def export_command(
    recipe: Annotated[str, typer.Argument(help="tiny, inception_v3, resnet50 or savedmodel.")],
    version: Annotated[int, typer.Option("--version", help="Model version (>= 1).")],
    out: Annotated[
        Path, typer.Option("--out", help="Model store: writes OUT/NAME/VERSION.")
    ] = Path("build/models"),
    weights: Annotated[
        str, typer.Option("--weights", help="imagenet (downloads) or none (random).")
    ] = "none",
    path: Annotated[
        Path | None, typer.Option("--path", help="Your SavedModel (recipe savedmodel).")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Model name (default: the recipe name).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing version.")] = False,
) -> None:
    """Export a model version with its serving signature, labels and warmup records."""
    _need_tensorflow()
    from model_images.export import ExportError, export

    try:
        target = export(recipe, version, out, weights=weights, name=name, path=path, force=force)
    except ExportError as error:
        raise _fail(str(error), EXIT_USAGE) from None
    print(target)


@models_app.command("check")
def check_command(
    directory: Annotated[Path, typer.Argument(help="Model store, model or version directory.")],
    any_signature: Annotated[
        bool,
        typer.Option(
            "--any-signature",
            help="Only require serving_default and working warmup (own SavedModels).",
        ),
    ] = False,
) -> None:
    """Load every model version, check its signature, run every warmup record through it."""
    if not directory.is_dir():
        raise _fail(f"{directory}: not a directory", EXIT_USAGE)
    _need_tensorflow()
    from model_images.check import check

    reports = check(directory, image_contract=not any_signature)
    if not reports:
        raise _fail(f"{directory}: no SavedModel versions found", EXIT_CHECK_FAILED)
    failed = 0
    for report in reports:
        label = f"{report.model}/{report.version}"
        if report.ok:
            print(f"ok    {label} ({report.warmup_records} warmup records)")
        else:
            failed += 1
            for problem in report.problems:
                print(f"FAIL  {label}: {problem}", file=sys.stderr)
    if failed:
        raise _fail(
            f"{failed} of {len(reports)} model versions failed the check", EXIT_CHECK_FAILED
        )


@models_app.command("export-stack")
def export_stack_command(
    stack: Annotated[str, typer.Argument(help="Stack whose recipe models to export.")],
    root: Annotated[Path, typer.Option("--root", help="Project root.")] = Path(),
) -> None:
    """Export every recipe model version a stack serves that its model store lacks."""
    from infra.config import ConfigError
    from infra.preview.stackfile import load_spec

    try:
        spec = load_spec(root, stack)
    except ConfigError as error:
        raise _fail(str(error), EXIT_USAGE) from None
    _need_tensorflow()
    from model_images.export import export

    store = root / spec.model_store
    for server in spec.servers:
        wanted = {(m.name, v): m for m in server.models for v in m.versions}
        if server.canary is not None and server.canary_model is not None:
            wanted[(server.canary_model.name, server.canary.version)] = server.canary_model
        for (name, version), model in sorted(wanted.items()):
            recipe = model.source.recipe
            if recipe is None or (store / name / str(version) / "saved_model.pb").is_file():
                continue
            print(export(recipe, version, store, weights=model.source.weights, name=name))
