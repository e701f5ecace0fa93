"""Multi-stack commands: diff between git refs, the stacks table, preview/up/refresh through
the Automation API, promotion between stack files, and the post-deploy smoke test.

Exit codes: 0 success; 1 a stack operation, head plan or smoke check failed; 2 bad usage,
stack file or git ref; 3 the Pulumi CLI is not installed (commands that need it).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from infra.ops.automation import StackRun
    from infra.ops.diff import StackDiff
    from infra.ops.worktree import PlanResult

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NO_CLI = 3

StackOpt = Annotated[str | None, typer.Option("--stack", "-s", help="One stack.")]
AllOpt = Annotated[bool, typer.Option("--all", help="Every stack, in safe order.")]


def _fail(message: str, code: int) -> typer.Exit:
    """Print one line on stderr (never wrapped, no traceback) and return the exit to raise."""
    typer.echo(message if message.startswith("servestack") else f"servestack: {message}", err=True)
    return typer.Exit(code)


def _root() -> Path:
    from infra.cli.app import project_root

    return project_root()


def _one_or_all(stack: str | None, all_stacks: bool) -> None:
    if all_stacks == (stack is not None):
        raise _fail("give exactly one of --stack NAME or --all", EXIT_USAGE)


# ------------------------------------------------------------------------- diff


def diff(
    base: Annotated[str, typer.Option("--base", help="Git ref to compare against.")],
    stack: StackOpt = None,
    all_stacks: AllOpt = False,
    markdown: Annotated[
        Path | None, typer.Option("--markdown", help="Write a PR comment (Markdown) here.")
    ] = None,
) -> None:
    """Offline plans at --base and in the working tree, compared per stack. No credentials."""
    from infra.ops.diff import diff_all
    from infra.ops.markdown import render
    from infra.ops.worktree import WorktreeError, repo_root, resolve_ref, worktree_at
    from infra.preview.stackfile import available_stacks, safe_order

    _one_or_all(stack, all_stacks)
    root = _root()
    try:
        repo = repo_root(root)
        resolve_ref(repo, base)
        with (
            tempfile.TemporaryDirectory(prefix="servestack-diff-") as tmp,
            worktree_at(repo, base) as tree,
        ):
            base_root = tree / root.relative_to(repo)
            stacks = (
                safe_order([*available_stacks(root), *available_stacks(base_root)])
                if all_stacks
                else [str(stack)]
            )
            typer.echo(
                f"Planning {len(stacks)} stack(s) at {base} and in the working tree…", err=True
            )
            planned = _plan_with_progress({"base": base_root, "head": root}, stacks, Path(tmp))
            before, after = planned["base"], planned["head"]
    except WorktreeError as error:
        raise _fail(str(error), EXIT_USAGE) from None
    errors: dict[tuple[str, str], str] = {}
    for side, results in (("base", before), ("head", after)):
        for name, result in results.items():
            if result.error:
                errors[(side, name)] = result.error
    diffs = diff_all(
        {n: r.plan for n, r in before.items() if r.plan is not None},
        {n: r.plan for n, r in after.items() if r.plan is not None},
        errors,
        order=stacks,
    )
    _print_diffs(diffs)
    if markdown is not None:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(render(diffs, base_ref=base), encoding="utf-8")
        typer.echo(f"Wrote {markdown}", err=True)
    if any(d.head_error for d in diffs):
        raise typer.Exit(EXIT_FAILED)


def _plan_with_progress(
    trees: dict[str, Path], stacks: Sequence[str], out_dir: Path
) -> dict[str, dict[str, PlanResult]]:
    """Plan every stack in every tree, one live line per stack on stderr (rich progress)."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from infra.ops.worktree import plans_at

    marks = {"waiting": "·", "planning": "…", "done": "✓", "failed": "✗"}
    states = {stack: dict.fromkeys(trees, "waiting") for stack in stacks}

    def line(stack: str) -> str:
        sides = ", ".join(f"{side} {marks[state]}" for side, state in states[stack].items())
        return f"{stack}: {sides}"

    with Progress(
        SpinnerColumn(finished_text="✓"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True, highlight=False),
    ) as bar:
        tasks = {
            stack: bar.add_task(line(stack), total=len(trees), start=False) for stack in stacks
        }

        def progress(side: str, stack: str, state: str) -> None:
            states[stack][side] = state
            if state == "planning":
                bar.start_task(tasks[stack])
            bar.update(tasks[stack], description=line(stack), advance=state != "planning")

        return plans_at(trees, stacks, out_dir, progress=progress)


def _print_diffs(diffs: Sequence[StackDiff]) -> None:
    from rich.console import Console
    from rich.text import Text

    from infra.ops.diff import Action, render_value, short_urn
    from infra.ops.replace_order import order_note

    console = Console(highlight=False, soft_wrap=True)
    marks = {Action.CREATE: "+", Action.DELETE: "-", Action.UPDATE: "~", Action.REPLACE: "+-"}
    styles = {Action.CREATE: "green", Action.DELETE: "red", Action.UPDATE: "yellow"}
    for d in diffs:
        c = d.counts
        console.print(
            Text.assemble(
                (f"stack {d.stack}", "bold"),
                f": {c[Action.CREATE]} create, {c[Action.UPDATE]} update, "
                f"{c[Action.REPLACE]} replace, {c[Action.DELETE]} delete, {d.unchanged} unchanged",
            )
        )
        for side, error in (("base", d.base_error), ("head", d.head_error)):
            if error:
                console.print(Text(f"  ! {side} plan failed: {error}", style="red"))
        for change in d.changes:
            style = styles.get(change.action, "magenta")
            line = f"  {marks[change.action]} {change.action.value} {short_urn(change.urn)}"
            line += order_note(change.order)
            console.print(Text(line, style=style))
            for f in change.fields:
                flag = "  [forces replacement]" if f.forces_replacement else ""
                console.print(
                    Text(
                        f"      {f.path}: {render_value(f.old)} → {render_value(f.new)}{flag}",
                        style="magenta" if f.forces_replacement else "",
                    )
                )
        for o in d.outputs:
            console.print(f"  output {o.path}: {render_value(o.old)} → {render_value(o.new)}")
        for v in d.policies_new:
            console.print(Text(f"  policy new: {v.level} {v.policy}: {v.message}", style="red"))
        for v in d.policies_resolved:
            console.print(Text(f"  policy resolved: {v.policy}: {v.message}", style="green"))


# ----------------------------------------------------------------------- stacks


def stacks() -> None:
    """Every stack from its file alone: kind, region, pools, servers, versions, policy level."""
    from rich.console import Console
    from rich.table import Table

    from infra.ops.stacks_table import COLUMNS, stack_rows
    from infra.preview.stackfile import available_stacks, load_spec

    root = _root()
    rows = stack_rows(root, available_stacks(root), load_spec)
    table = Table(*COLUMNS, title="servestack stacks")
    for row in rows:
        table.add_row(*row.cells())
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=200)
    console.print(table)
    bad = [row for row in rows if row.error]
    for row in bad:
        typer.echo(f"servestack: {row.error}", err=True)
    if bad:
        raise typer.Exit(EXIT_USAGE)


# --------------------------------------------------------- preview / up / refresh


def run_automation(op: str, stacks: Sequence[str]) -> None:
    """Run `op` (preview, up, refresh) over `stacks` with the Automation API; exits."""
    from rich.console import Console
    from rich.table import Table

    from infra.ops.automation import CliMissingError, Operation, require_cli, run_all, run_stack

    operation = Operation(op)
    try:
        require_cli()
    except CliMissingError as error:
        raise _fail(str(error), EXIT_NO_CLI) from None
    root = _root()
    console = Console(highlight=False)

    def runner(r: Path, stack: str, o: Operation) -> StackRun:
        with console.status(f"{o.value} {stack}…") as status:

            def progress(name: str, text: str) -> None:
                status.update(f"{o.value} {name}: {text}")

            result = run_stack(r, stack, o, progress)
        verdict = "ok" if result.ok else f"failed: {result.message}"
        console.print(f"{o.value} {stack}: {verdict} ({result.seconds:.0f} s)", markup=False)
        return result

    results = run_all(root, stacks, operation, runner=runner)
    table = Table("Stack", "Operation", "Result", "Changes", "Seconds", title="Summary")
    for r in results:
        result = "skipped" if r.skipped else ("ok" if r.ok else "failed")
        changes = ", ".join(f"{k} {v}" for k, v in r.changes.items()) or "-"
        table.add_row(r.stack, r.operation.value, result, changes, f"{r.seconds:.0f}")
    console.print(table)
    raise typer.Exit(EXIT_OK if all(r.ok for r in results) else EXIT_FAILED)


def _automation_command(op: str) -> Callable[..., None]:
    def command(stack: StackOpt = None, all_stacks: AllOpt = False) -> None:
        from infra.config import stack_file
        from infra.preview.stackfile import available_stacks

        _one_or_all(stack, all_stacks)
        root = _root()
        names = available_stacks(root) if all_stacks else [str(stack)]
        unknown = [n for n in names if not (root / stack_file(n)).is_file()]
        if unknown:
            raise _fail(f"no stack file {stack_file(unknown[0])}", EXIT_USAGE)
        run_automation(op, names)

    command.__name__ = op
    command.__doc__ = (
        f"`pulumi {op}` on one stack or all (safe order), with the policy pack. "
        "Exit 3 if the Pulumi CLI is missing."
    )
    return command


# ----------------------------------------------------------------------- promote


def promote(
    server: Annotated[str, typer.Argument(help="Server name in both stack files.")],
    source: Annotated[str, typer.Option("--from", help="Stack that runs the version now.")],
    target: Annotated[str, typer.Option("--to", help="Stack file to edit.")],
    version: Annotated[
        int | None,
        typer.Option("--version", help="Version to promote (default: source's stable/only one)."),
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="Model of the server.")] = None,
    label: Annotated[
        str | None,
        typer.Option("--label", help="Move this version label (e.g. stable) instead."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the diff only.")] = False,
) -> None:
    """Make the target stack serve the source's version (or move a label); prints the diff."""
    from infra.config import ConfigError
    from infra.ops.promote import PromoteError, validate, write
    from infra.ops.promote import promote as compute
    from infra.preview.stackfile import load_spec

    root = _root()
    try:
        spec = load_spec(root, source)
        result = compute(
            root,
            server,
            source=spec,
            target_stack=target,
            version=version,
            model=model,
            label=label,
        )
        validate(root, result, target)
    except (PromoteError, ConfigError) as error:
        raise _fail(str(error), EXIT_USAGE) from None
    if not result.changed:
        typer.echo(
            f"{target} already serves {result.model} version {result.version}; nothing to do",
            err=True,
        )
        return
    typer.echo(result.unified_diff(), nl=False)
    if dry_run:
        typer.echo("(dry run: nothing written)", err=True)
        return
    write(root, result)
    typer.echo(f"Wrote {result.target_file}; commit it and open a pull request.", err=True)


# ------------------------------------------------------------------------- smoke


def smoke(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack the server runs in.")],
    server: Annotated[str, typer.Option("--server", help="Server name from the stack file.")],
    image: Annotated[Path, typer.Option("--image", help="A JPEG or PNG to classify.")],
    address: Annotated[
        str | None, typer.Option("--address", help="gRPC HOST:PORT (default: stack outputs).")
    ] = None,
    rest: Annotated[
        str | None, typer.Option("--rest", help="REST base URL (default: http://HOST:8501).")
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="Model (default: first).")] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per request.")] = 20.0,
) -> None:
    """gRPC Predict with an image (prints the top-5 classes) and the model's REST status."""
    from infra.config import ConfigError
    from infra.ops.smoke import SmokeError, model_status, predict, require_available
    from infra.preview.stackfile import load_spec
    from infra.serving.layout import REST_PORT

    root = _root()
    try:
        spec = load_spec(root, stack)
    except ConfigError as error:
        raise _fail(str(error), EXIT_USAGE) from None
    found = next((s for s in spec.servers if s.name == server), None)
    if found is None:
        names = ", ".join(s.name for s in spec.servers)
        raise _fail(f"stack {stack!r} has no server {server!r} (has: {names})", EXIT_USAGE)
    model_name = model or found.models[0].name
    if model_name not in {m.name for m in found.models}:
        raise _fail(f"server {server!r} has no model {model_name!r}", EXIT_USAGE)
    if not image.is_file():
        raise _fail(f"--image {image}: no such file", EXIT_USAGE)
    if address is None:
        address, rest = _address_from_stack(root, stack, server, rest)
    if rest is None:
        rest = f"http://{address.rsplit(':', 1)[0]}:{REST_PORT}"
    _models_environment_or_exit(root)
    try:
        pairs = predict(address, model_name, image.read_bytes(), timeout=timeout)
        from infra.ops.smoke import format_predictions

        for line in format_predictions(pairs):
            typer.echo(line)
        versions = require_available(model_name, model_status(rest, model_name, timeout))
    except SmokeError as error:
        raise _fail(f"smoke {stack}/{server}: {error}", EXIT_FAILED) from None
    typer.echo(f"model {model_name}: version(s) {versions} AVAILABLE at {rest}")


def _models_environment_or_exit(root: Path) -> None:
    """gRPC Predict needs tensorflow-serving-api, installed in the models environment only:
    hand the same command over to that environment's servestack, or exit 3 saying how."""
    import importlib.util
    import os
    import sys

    if all(importlib.util.find_spec(m) for m in ("tensorflow", "tensorflow_serving")):
        return
    models_cli = root / ".venv-models" / "bin" / "servestack"
    if models_cli.is_file() and not Path(sys.executable).is_relative_to(root / ".venv-models"):
        os.execv(models_cli, [str(models_cli), *sys.argv[1:]])
    raise _fail(
        "smoke needs tensorflow-serving-api (the models environment): run `make models-env`, "
        "then .venv-models/bin/servestack smoke ...",
        EXIT_NO_CLI,
    )


def _address_from_stack(
    root: Path, stack: str, server: str, rest: str | None
) -> tuple[str, str | None]:
    from infra.ops.automation import CliMissingError, cli_error_line, require_cli
    from infra.ops.smoke import address_from_outputs

    try:
        require_cli()
    except CliMissingError as error:
        raise _fail(f"{error} (or pass --address HOST:PORT)", EXIT_NO_CLI) from None
    from pulumi import automation as auto

    try:
        outputs = {
            k: v.value for k, v in auto.select_stack(stack, work_dir=str(root)).outputs().items()
        }
    except auto.errors.CommandError as error:
        cause = cli_error_line(error) or error
        raise _fail(f"reading outputs of {stack}: {cause}", EXIT_FAILED) from None
    grpc_address, rest_url = address_from_outputs(outputs, server)
    if grpc_address is None:
        raise _fail(
            f"stack {stack!r} exports no endpoint for server {server!r}; pass --address HOST:PORT "
            "(e.g. after kubectl port-forward)",
            EXIT_USAGE,
        )
    return grpc_address, rest or rest_url


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `servestack` app (`preview` is the app's own)."""
    app.command("diff")(diff)
    app.command("stacks")(stacks)
    app.command("up")(_automation_command("up"))
    app.command("refresh")(_automation_command("refresh"))
    app.command("promote")(promote)
    app.command("smoke")(smoke)
