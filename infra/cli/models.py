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
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from infra.config import StackSpec
    from infra.images.supply import ServedVersion
    from model_images.lock import ModelLock

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
    answered = "" if any_signature else "; REST and gRPC answered"
    for report in reports:
        label = f"{report.model}/{report.version}"
        if report.ok:
            print(f"ok    {label} ({report.warmup_records} warmup records{answered})")
        else:
            failed += 1
            print(f"FAIL  {label}: {report.problems[0]}", file=sys.stderr)
    if failed:
        raise _fail(
            f"{failed} of {len(reports)} model versions failed the check", EXIT_CHECK_FAILED
        )
    if not any_signature:
        from model_images.contract import client_contract

        print(client_contract(reports[0].model))


def _load_spec(root: Path, stack: str) -> StackSpec:
    from infra.config import ConfigError
    from infra.preview.stackfile import load_spec

    try:
        return load_spec(root, stack)
    except ConfigError as error:
        raise _fail(str(error), EXIT_USAGE) from None


def _read_model_lock(root: Path) -> ModelLock:
    from model_images.lock import ModelLockError, read_lock

    try:
        return read_lock(root)
    except ModelLockError as error:
        raise _fail(str(error), EXIT_USAGE) from None


StackOption = Annotated[str, typer.Option("--stack", help="Stack whose served models to use.")]
RootOption = Annotated[Path, typer.Option("--root", help="Project root.")]


@models_app.command("fetch")
def fetch_command(stack: StackOption, root: RootOption = Path()) -> None:
    """Fetch every model version the stack serves, as locked, and verify its digest."""
    from infra.images.supply import SupplyError, fetch

    spec = _load_spec(root, stack)
    lock = _read_model_lock(root)
    try:
        for line in fetch(spec, root, lock):
            print(line)
    except SupplyError as error:
        raise _fail(str(error), EXIT_USAGE) from None


@models_app.command("lock")
def lock_command(stack: StackOption, root: RootOption = Path()) -> None:
    """Gate every fetched version the stack serves and record it in the model lock."""
    from infra.images.supply import served_versions

    spec = _load_spec(root, stack)
    _need_tensorflow()
    from model_images.lock import write_lock
    from model_images.publish import PublishError, lock_version

    lock = _read_model_lock(root)
    for served in served_versions(spec, root):
        if not served.on_disk.is_dir():
            raise _fail(
                f"{served.file}: {served.key}.versions: {served.model}/{served.version} is not "
                f"on disk at {served.on_disk}; fetch or publish it first",
                EXIT_USAGE,
            )
        try:
            entry = lock_version(
                lock, served.model, served.version, served.on_disk, served.location
            )
        except PublishError as error:
            raise _fail(str(error), EXIT_CHECK_FAILED) from None
        print(f"locked    {served.model}/{served.version} {entry.digest[:19]} {entry.source}")
    print(write_lock(root, lock))


@models_app.command("publish")
def publish_command(
    stack: StackOption,
    model: Annotated[
        str | None, typer.Option("--model", help="Only this model (needed with --version).")
    ] = None,
    version: Annotated[
        int | None,
        typer.Option(
            "--version", help="A new version to publish (default: what the stack serves)."
        ),
    ] = None,
    from_dir: Annotated[
        Path | None, typer.Option("--from", help="Import this SavedModel instead of the recipe.")
    ] = None,
    weights: Annotated[
        str | None, typer.Option("--weights", help="Override the recipe weights (imagenet, none).")
    ] = None,
    root: RootOption = Path(),
) -> None:
    """Make each unlocked version (recipe export or --from), gate it, upload it, lock it."""
    spec = _load_spec(root, stack)
    wanted = _publish_targets(spec, root, model, version, from_dir)
    _need_tensorflow()
    from model_images.lock import write_lock
    from model_images.publish import PublishError, publish
    from model_images.sources import SourceError

    lock = _read_model_lock(root)
    todo = [s for s in wanted if version is not None or lock.get(s.model, s.version) is None]
    if not todo:
        print(f"nothing to publish: every version {stack} serves is in the lock")
        return
    for served in todo:
        try:
            entry = publish(
                lock,
                served.model,
                served.version,
                served.location,
                root,
                recipe=served.recipe,
                weights=weights or served.weights,
                from_dir=from_dir,
                on_disk=None if served.in_repository else served.on_disk,
            )
        except PublishError as error:
            raise _fail(str(error), EXIT_CHECK_FAILED) from None
        except SourceError as error:
            raise _fail(str(error), EXIT_USAGE) from None
        print(f"published {served.model}/{served.version} {entry.digest[:19]} {entry.source}")
    print(write_lock(root, lock))


def _publish_targets(
    spec: StackSpec, root: Path, model: str | None, version: int | None, from_dir: Path | None
) -> list[ServedVersion]:
    from dataclasses import replace

    from infra.images.supply import served_versions
    from model_images.sources import version_location

    served = served_versions(spec, root)
    if model is not None:
        served = [s for s in served if s.model == model]
        if not served:
            raise _fail(f"--model {model}: stack {spec.stack} serves no such model", EXIT_USAGE)
    if version is None:
        if from_dir is not None and len(served) != 1:
            raise _fail("--from imports one version: give --model and --version", EXIT_USAGE)
        return served
    if model is None:
        raise _fail("--version needs --model", EXIT_USAGE)
    template = served[0]
    base = template.location.rsplit("/", 1)[0]
    on_disk = template.on_disk.parent / str(version)
    return [
        replace(
            template,
            version=version,
            location=version_location(base, version),
            on_disk=root / version_location(base, version) if template.in_repository else on_disk,
        )
    ]
