"""Drive `pulumi preview|up|refresh` over several stacks with the Automation API.

A `LocalWorkspace` over the repository root runs the real Pulumi CLI. The workspace's
stack-settings helpers look for `Pulumi.<stack>.yaml` next to `Pulumi.yaml` and ignore
`stackConfigDir`, so they are never used: each operation names its stack file explicitly
(`config_file=stacks/Pulumi.<stack>.yaml`), together with the policy pack and the
stack's policy config. Stacks run one after another in the safe order
(local → dev → staging → prod → others); `up` stops at the first failure so a broken
change never reaches the next environment.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from infra.config import stack_file
from infra.preview.stackfile import safe_order

EXIT_NO_CLI = 3
INSTALL_HINT = (
    "servestack: the Pulumi CLI is not installed (no `pulumi` on PATH); install it "
    "(https://www.pulumi.com/docs/iac/download-install/, e.g. `curl -fsSL "
    "https://get.pulumi.com | sh`) and retry, or use `servestack preview --offline`"
)


class Operation(StrEnum):
    PREVIEW = "preview"
    UP = "up"
    REFRESH = "refresh"


class CliMissingError(Exception):
    """The Pulumi CLI is not on PATH."""


@dataclass(frozen=True)
class StackRun:
    """The outcome of one operation on one stack."""

    stack: str
    operation: Operation
    ok: bool
    changes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    message: str = ""
    skipped: bool = False


def require_cli(which: Callable[[str], str | None] = shutil.which) -> str:
    path = which("pulumi")
    if path is None:
        raise CliMissingError(INSTALL_HINT)
    return path


def operation_options(root: Path, stack: str, operation: Operation) -> dict[str, Any]:
    """Keyword arguments for `Stack.preview/up/refresh`: the files Pulumi must read."""
    options: dict[str, Any] = {
        "config_file": str(root / stack_file(stack)),
        "color": "never",
    }
    if operation is not Operation.REFRESH and (root / "policies" / "PulumiPolicy.yaml").is_file():
        options["policy_packs"] = [str(root / "policies")]
        policy_config = root / "policies" / "config" / f"{stack}.json"
        if policy_config.is_file():
            options["policy_pack_configs"] = [str(policy_config)]
    return options


def change_counts(summary: Any) -> dict[str, int]:
    """Resource change counts from a preview change_summary or an update summary."""
    if summary is None:
        return {}
    changes = getattr(summary, "resource_changes", summary)
    if not isinstance(changes, dict):
        return {}
    return {str(k): int(v) for k, v in sorted(changes.items()) if int(v)}


def cli_error_line(error: Exception) -> str:
    """The last non-blank line of a Pulumi CLI error: the cause, without the command echo."""
    lines = [line for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else ""


Progress = Callable[[str, str], None]


def run_stack(
    root: Path, stack: str, operation: Operation, on_progress: Progress | None = None
) -> StackRun:
    """One operation on one stack through a LocalWorkspace over the repository."""
    from pulumi import automation as auto

    started = time.monotonic()

    def on_event(event: Any) -> None:
        pre = getattr(event, "resource_pre_event", None)
        if pre is not None and on_progress is not None:
            metadata = pre.metadata
            on_progress(stack, f"{metadata.op} {metadata.type} {metadata.urn.rsplit('::', 1)[-1]}")

    try:
        workspace = auto.LocalWorkspace(work_dir=str(root))
        target = auto.Stack.create_or_select(stack, workspace)
        options = operation_options(root, stack, operation)
        if operation is Operation.PREVIEW:
            preview = target.preview(on_event=on_event, **options)
            counts = change_counts(preview.change_summary)
        elif operation is Operation.UP:
            up = target.up(on_event=on_event, **options)
            counts = change_counts(up.summary)
        else:
            options.pop("policy_packs", None)
            options.pop("policy_pack_configs", None)
            refresh = target.refresh(on_event=on_event, **options)
            counts = change_counts(refresh.summary)
    except auto.errors.CommandError as error:
        return StackRun(
            stack,
            operation,
            ok=False,
            seconds=time.monotonic() - started,
            message=cli_error_line(error) or "pulumi failed",
        )
    return StackRun(stack, operation, ok=True, changes=counts, seconds=time.monotonic() - started)


def run_all(
    root: Path,
    stacks: Sequence[str],
    operation: Operation,
    *,
    runner: Callable[[Path, str, Operation], StackRun] | None = None,
) -> list[StackRun]:
    """Run the operation over the stacks in safe order; `up` stops at the first failure."""
    run = runner or (lambda r, s, o: run_stack(r, s, o))
    results: list[StackRun] = []
    ordered = safe_order(stacks)
    for index, stack in enumerate(ordered):
        result = run(root, stack, operation)
        results.append(result)
        if not result.ok and operation is Operation.UP:
            results += [
                StackRun(s, operation, ok=False, skipped=True, message=f"skipped: {stack} failed")
                for s in ordered[index + 1 :]
            ]
            break
    return results
