"""`servestack canary status|promote|abort`: the metric gate of a canary, as stack-file edits.

Exit codes: 0 done (or nothing to do yet); 1 the analysis failed (promote refuses); 2 bad
usage or stack file; 4 the metrics could not be read.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from infra.config import StackSpec
    from infra.ops.canary_analysis import Verdict
    from infra.ops.canary_edit import CanaryEdit

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_METRICS = 4
URL_ENV = "SERVESTACK_PROMETHEUS_URL"
TOKEN_ENV = "SERVESTACK_PROMETHEUS_TOKEN"

canary_app = typer.Typer(
    name="canary",
    help="Judge a canary on TF Serving's metrics; step its weight, promote it or abort it.",
    no_args_is_help=True,
)

StackOpt = Annotated[str, typer.Option("--stack", "-s", help="Stack the canary runs in.")]
ServerOpt = Annotated[str, typer.Option("--server", help="Server name from the stack file.")]
UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--prometheus-url",
        envvar=URL_ENV,
        help="Prometheus API base (default: the stack project's Managed Prometheus).",
    ),
]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Print the diff only.")]


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"servestack: {message}", err=True)
    return typer.Exit(code)


def _load(stack: str) -> tuple[Path, StackSpec]:
    from infra.cli.app import project_root
    from infra.config import ConfigError
    from infra.preview.stackfile import load_spec

    root = project_root()
    try:
        return root, load_spec(root, stack)
    except ConfigError as error:
        raise _fail(str(error).removeprefix("servestack: "), EXIT_USAGE) from None


def _verdict(spec: StackSpec, server: str, url: str | None) -> Verdict:
    from infra.ops.canary_analysis import Scope, analyse
    from infra.ops.canary_edit import canary_server
    from infra.ops.prometheus import PrometheusClient, PrometheusError, managed_prometheus_url
    from infra.ops.promote import PromoteError

    try:
        found = canary_server(spec, server)
    except PromoteError as error:
        raise _fail(str(error), EXIT_USAGE) from None
    canary, model = found.canary, found.canary_model
    if canary is None or model is None or canary.analysis is None:
        raise _fail(f"server {server!r}: canary.analysis is not set in the stack file", EXIT_USAGE)
    base = url or (managed_prometheus_url(spec.gcp_project) if spec.gcp_project else None)
    if base is None:
        raise _fail(f"stack {spec.stack!r} has no gcp:project; pass --prometheus-url", EXIT_USAGE)
    client = PrometheusClient(base, token=os.environ.get(TOKEN_ENV) or None)
    scope = Scope(namespace=spec.serving.namespace, job=found.name, model=model.name)
    try:
        return analyse(client, scope, canary.analysis)
    except PrometheusError as error:
        raise _fail(str(error), EXIT_METRICS) from None


def _print(verdict: Verdict) -> None:
    s, c = verdict.stable, verdict.canary
    typer.echo(f"decision: {verdict.decision}")
    for track, stats in (("stable", s), ("canary", c)):
        p99 = "n/a" if stats.p99_micros is None else f"{stats.p99_micros / 1000:.1f} ms"
        typer.echo(
            f"  {track}: {stats.requests:.0f} requests, "
            f"{stats.error_rate_percent:.2f}% errors, p99 {p99}"
        )
    for reason in verdict.reasons:
        typer.echo(f"  - {reason}")


def _apply(root: Path, spec: StackSpec, edit: CanaryEdit, dry_run: bool) -> None:
    from infra.config import ConfigError
    from infra.ops.promote import validate, write

    try:
        validate(root, edit.promotion, spec.stack)
    except ConfigError as error:
        raise _fail(str(error), EXIT_USAGE) from None
    typer.echo(edit.promotion.unified_diff(), nl=False)
    if dry_run:
        typer.echo("(dry run: nothing written)", err=True)
        return
    write(root, edit.promotion)
    what = {
        "step": f"canary weight now {edit.weight}",
        "complete": f"version {edit.promotion.version} is now the served version",
        "abort": "canary removed",
    }[edit.action]
    typer.echo(f"Wrote {edit.promotion.target_file} ({what}); open a pull request.", err=True)


@canary_app.command()
def status(
    stack: StackOpt,
    server: ServerOpt,
    prometheus_url: UrlOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
) -> None:
    """Compare canary with stable over the analysis window; print the decision."""
    _, spec = _load(stack)
    verdict = _verdict(spec, server, prometheus_url)
    if as_json:
        typer.echo(json.dumps(verdict.to_json(), indent=2, sort_keys=True))
    else:
        _print(verdict)


@canary_app.command()
def promote(
    stack: StackOpt, server: ServerOpt, prometheus_url: UrlOpt = None, dry_run: DryRunOpt = False
) -> None:
    """If the analysis passes: step the weight, or make the canary the served version."""
    from infra.ops.canary_edit import advance
    from infra.ops.promote import PromoteError

    root, spec = _load(stack)
    verdict = _verdict(spec, server, prometheus_url)
    _print(verdict)
    if verdict.decision == "wait":
        typer.echo("Not enough data yet; nothing changed.", err=True)
        return
    if verdict.decision == "abort":
        raise _fail("the canary fails its analysis; not promoting (see `canary abort`)", 1)
    try:
        edit = advance(root, spec, server)
    except PromoteError as error:
        raise _fail(str(error), EXIT_USAGE) from None
    _apply(root, spec, edit, dry_run)


@canary_app.command()
def abort(
    stack: StackOpt,
    server: ServerOpt,
    prometheus_url: UrlOpt = None,
    if_failing: Annotated[
        bool, typer.Option("--if-failing", help="Only if the analysis fails (reads metrics).")
    ] = False,
    dry_run: DryRunOpt = False,
) -> None:
    """Remove the canary block: its workloads go, the route sends everything to stable."""
    from infra.ops.canary_edit import abort as compute
    from infra.ops.promote import PromoteError

    root, spec = _load(stack)
    if if_failing:
        verdict = _verdict(spec, server, prometheus_url)
        _print(verdict)
        if verdict.decision != "abort":
            typer.echo(f"The analysis says {verdict.decision}; nothing changed.", err=True)
            return
    try:
        edit = compute(root, spec, server)
    except PromoteError as error:
        raise _fail(str(error), EXIT_USAGE) from None
    _apply(root, spec, edit, dry_run)


@canary_app.command("list")
def list_canaries(stack: StackOpt) -> None:
    """Print the servers of the stack that run a canary, one per line."""
    _, spec = _load(stack)
    for server in spec.servers:
        if server.canary is not None:
            typer.echo(server.name)


def register(app: typer.Typer) -> None:
    app.add_typer(canary_app, name="canary")
