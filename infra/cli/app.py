"""The `servestack` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from infra.config import ConfigError

app = typer.Typer(
    name="servestack",
    help="TensorFlow Serving on GKE: offline previews, multi-stack operations, model images.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


@app.callback()
def _root() -> None:
    """servestack: TensorFlow Serving fleets on GKE, one Pulumi stack per environment."""


# Errors are one line each, whatever the terminal width: never wrapped.
err = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_OK = 0
EXIT_POLICY = 1
EXIT_CONFIG = 2


def project_root() -> Path:
    """The directory holding Pulumi.yaml: the current one or one of its parents."""
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / "Pulumi.yaml").is_file():
            return candidate
    err.print("servestack: no Pulumi.yaml here or in any parent directory")
    raise typer.Exit(EXIT_CONFIG)


def select_stacks(root: Path, stack: str | None, all_stacks: bool) -> list[str]:
    from infra.preview.stackfile import available_stacks

    if all_stacks == (stack is not None):
        err.print("servestack: give exactly one of --stack NAME or --all")
        raise typer.Exit(EXIT_CONFIG)
    return available_stacks(root) if all_stacks else [str(stack)]


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


@app.command()
def preview(
    offline: Annotated[
        bool, typer.Option("--offline", help="Run under the mock monitor: no CLI, no cloud.")
    ] = False,
    stack: Annotated[str | None, typer.Option("--stack", "-s", help="One stack.")] = None,
    all_stacks: Annotated[bool, typer.Option("--all", help="Every stack in stacks/.")] = False,
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Write the plan (with --all: a directory of <stack>.json)."),
    ] = None,
    manifests: Annotated[
        Path | None,
        typer.Option("--manifests", help="Write Kubernetes objects (with --all: per stack)."),
    ] = None,
    stack_file: Annotated[
        Path | None,
        typer.Option("--stack-file", help="Preview this file as --stack (e.g. a proposed change)."),
    ] = None,
    policy_config: Annotated[
        Path | None,
        typer.Option(
            "--policy-config", help="Policy config instead of policies/config/<stack>.json."
        ),
    ] = None,
    bootstrap: Annotated[
        str | None,
        typer.Option(
            "--bootstrap",
            help="Only this day-0 stack (bootstrap/stacks/); --all previews every one too.",
        ),
    ] = None,
) -> None:
    """Preview stacks. With --offline: exit 0 clean, 1 mandatory policy violation, 2 bad config."""
    root = project_root()
    if bootstrap is not None:
        _preview_bootstrap(root, [bootstrap], offline, stack is not None or all_stacks, json_out)
    stacks = select_stacks(root, stack, all_stacks)
    if not offline:
        from infra.cli.ops import run_automation

        run_automation("preview", stacks)
        return
    if stack_file is not None and len(stacks) != 1:
        err.print("servestack: --stack-file goes with --stack")
        raise typer.Exit(EXIT_CONFIG)
    from bootstrap import cli as day0
    from infra.images.context import check_model_sources
    from infra.preview.engine import run_offline
    from infra.preview.manifests import write_manifests
    from infra.preview.render import render
    from infra.preview.stackfile import load_config_spec, read_stack_config

    day0_stacks = day0.available(root) if all_stacks else []
    try:  # every selected stack file is validated before any program runs
        for name in stacks:
            config = read_stack_config(root, name, stack_file)
            check_model_sources(load_config_spec(config), root, config.file)
        day0.check_files(root, day0_stacks)
    except ConfigError as error:
        err.print(str(error), markup=False)
        raise typer.Exit(EXIT_CONFIG) from None
    from infra.preview.capture import DuplicateUrnError
    from infra.preview.manifests import ManifestClashError

    failed = False
    many = len(stacks) > 1
    for name in stacks:
        try:
            plan = run_offline(root, name, stack_file=stack_file, policy_config=policy_config)
            render(plan, console)
            if json_out is not None:
                write_json(json_out / f"{name}.json" if many else json_out, plan.to_json())
            if manifests is not None:
                write_manifests(plan.resources, manifests / name if many else manifests)
        except ConfigError as error:
            err.print(str(error), markup=False)
            raise typer.Exit(EXIT_CONFIG) from None
        except (DuplicateUrnError, ManifestClashError) as error:
            err.print(f"servestack: {name}: {error}", markup=False)
            raise typer.Exit(EXIT_CONFIG) from None
        failed = failed or bool(plan.mandatory_violations)
    if day0_stacks:
        failed = day0.preview(root, day0_stacks, console, json_out) or failed
    raise typer.Exit(EXIT_POLICY if failed else EXIT_OK)


def _preview_bootstrap(
    root: Path, names: list[str], offline: bool, with_stacks: bool, json_out: Path | None
) -> None:
    """`--bootstrap NAME`: the day-0 stack alone, offline (applied with the Pulumi CLI)."""
    from bootstrap import cli as day0

    if not offline or with_stacks:
        err.print("servestack: --bootstrap goes with --offline, without --stack or --all")
        raise typer.Exit(EXIT_CONFIG)
    try:
        day0.check_files(root, names)
        failed = day0.preview(root, names, console, json_out)
    except ConfigError as error:
        err.print(str(error), markup=False)
        raise typer.Exit(EXIT_CONFIG) from None
    raise typer.Exit(EXIT_POLICY if failed else EXIT_OK)


def _register_groups() -> None:
    """Command groups living in their own modules (their heavy imports stay inside commands)."""
    from infra.cli import canary, ci, engine, models, ops

    canary.register(app)
    ci.register(app)
    models.register(app)
    ops.register(app)
    engine.register(app)


_register_groups()


EXIT_ENVIRONMENT = 3


def _click_exceptions() -> Any:
    """Click's exception classes: vendored inside typer since 0.22, the click package before."""
    import importlib

    try:
        return importlib.import_module("typer._click.exceptions")
    except ImportError:
        return importlib.import_module("click.exceptions")


def main() -> None:
    """Run the command; whatever goes wrong ends in one line and an exit code (README)."""
    import os
    import warnings

    from infra.config.errors import escape

    click = _click_exceptions()

    # Library notices (e.g. google.api_core's Python-version warning) are not our output.
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    try:
        result = app(standalone_mode=False)
    except ConfigError as error:
        err.print(str(error), markup=False)
        sys.exit(EXIT_CONFIG)
    except click.UsageError as error:
        if not error.format_message():  # no arguments at all: the help was printed
            sys.exit(EXIT_CONFIG)
        where = error.ctx.command_path if error.ctx is not None else "servestack"
        line = f"{where}: {escape(error.format_message())} (see {where} --help)"
        err.print(line, markup=False)
        sys.exit(EXIT_CONFIG)
    except click.Abort:
        err.print("servestack: interrupted", markup=False)
        sys.exit(130)
    except click.ClickException as error:
        err.print(f"servestack: {escape(error.format_message())}", markup=False)
        sys.exit(error.exit_code)
    except OSError as error:
        # A missing file, a refused connection, no network: the environment, not the input.
        err.print(f"servestack: {escape(str(error))}", markup=False)
        sys.exit(EXIT_ENVIRONMENT)
    except Exception as error:
        if os.environ.get("SERVESTACK_DEBUG"):
            raise
        name = type(error).__name__
        line = f"servestack: internal error: {name}: {escape(str(error))}"
        err.print(f"{line} (SERVESTACK_DEBUG=1 shows the traceback)", markup=False)
        sys.exit(EXIT_POLICY)
    sys.exit(result if isinstance(result, int) else EXIT_OK)


if __name__ == "__main__":
    main()
