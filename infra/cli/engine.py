"""`servestack engine-compare`: the offline JSON plan against what the engine holds.

Exit codes: 0 they agree; 1 a resource or field differs (each difference on its own line,
naming the URN and the field); 2 an input file is missing or is not a plan / stack export.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

EXIT_OK = 0
EXIT_DIFFERENT = 1
EXIT_USAGE = 2


def _read(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fail(f"{path}: no such {what} file") from None
    except json.JSONDecodeError as error:
        raise _fail(f"{path}: not JSON ({error.msg}, line {error.lineno})") from None


def _fail(message: str) -> typer.Exit:
    typer.echo(f"servestack: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


def engine_compare(
    plan: Annotated[
        Path, typer.Option("--plan", help="`servestack preview --offline --json` output.")
    ],
    export: Annotated[Path, typer.Option("--export", help="`pulumi stack export` output.")],
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write the comparison as JSON here.")
    ] = None,
) -> None:
    """Same URNs, types, parents, providers and values of the fields that matter (exit 1 if not)."""
    from infra.ops.engine_compare import CompareError, compare

    try:
        result = compare(_read(plan, "plan"), _read(export, "stack export"))
    except CompareError as error:
        raise _fail(str(error)) from None
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(result.to_json(), indent=2, sort_keys=True) + "\n"
        report.write_text(text, encoding="utf-8")
    for line in result.lines():
        typer.echo(line, err=True)
    verdict = "agree" if result.ok else f"differ ({len(result.lines())} differences)"
    typer.echo(f"plan and engine {verdict}: {result.compared} resources compared")
    raise typer.Exit(EXIT_OK if result.ok else EXIT_DIFFERENT)


def register(app: typer.Typer) -> None:
    app.command("engine-compare")(engine_compare)
