"""`servestack ci ...`: the checks a deploy job runs before it touches the cloud.

Exit codes: 0 the stack may be deployed; 2 it may not (one line naming the file and key).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

EXIT_USAGE = 2

ci_app = typer.Typer(help="Pre-deploy checks for CI (no credentials needed).", no_args_is_help=True)

StackOption = Annotated[str, typer.Option("--stack", help="The stack the job deploys.")]
RootOption = Annotated[Path, typer.Option("--root", help="Project root.")]


def register(app: typer.Typer) -> None:
    app.add_typer(ci_app, name="ci")


def _fail(message: str) -> typer.Exit:
    print(f"servestack: {message}", file=sys.stderr)
    return typer.Exit(EXIT_USAGE)


@ci_app.command("facts")
def facts_command(
    stack: StackOption,
    project: Annotated[
        str, typer.Option("--project", help="The GCP project the job's credentials are for.")
    ],
    root: RootOption = Path(),
) -> None:
    """Print the stack's cluster, location, namespace and servers as $GITHUB_OUTPUT lines."""
    from infra.config import ConfigError
    from infra.ops.deploygate import stack_facts
    from infra.preview.stackfile import load_spec

    try:
        facts = stack_facts(load_spec(root, stack), project)
    except ConfigError as error:
        raise _fail(str(error)) from None
    sys.stdout.write(facts.github_output())


@ci_app.command("base-images")
def base_images_command(
    stack: StackOption,
    require_pinned: Annotated[
        bool,
        typer.Option(
            "--require-pinned", help="Refuse unpinned bases even where the stack allows them."
        ),
    ] = False,
    root: RootOption = Path(),
) -> None:
    """Refuse a stack whose TF Serving base images have no digest in the lock."""
    from infra.config import ConfigError
    from infra.images.baseimage import LockError, read_lock
    from infra.ops.deploygate import require_pinned_bases
    from infra.preview.stackfile import load_spec

    try:
        bases = require_pinned_bases(load_spec(root, stack), read_lock(root), always=require_pinned)
    except (ConfigError, LockError) as error:
        raise _fail(str(error)) from None
    for base in bases:
        print(f"{stack}: {base.ref}")


@ci_app.command("worst-case")
def worst_case_command(stack: StackOption, root: RootOption = Path()) -> None:
    """Print the longest `pulumi up` the stack's offline plan allows, in minutes.

    The figure a deploy job's timeout-minutes must exceed (plus setup and smoke).
    """
    from infra.config import ConfigError
    from infra.ops.worstcase import critical_path_minutes
    from infra.preview.engine import run_offline

    try:
        plan = run_offline(root.resolve(), stack)
    except ConfigError as error:
        raise _fail(str(error)) from None
    minutes = critical_path_minutes(plan.to_json()["resources"])
    print(f"{stack}: worst-case pulumi up {minutes:.0f} min")
