"""The bootstrap in `servestack preview --offline`: with `--all`, or alone (`--bootstrap`)."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from bootstrap.loader import available, load, read_config


def check_files(root: Path, names: list[str]) -> None:
    """Validate every bootstrap stack file (and the stack files it names) before any run."""
    for name in names:
        load(root, read_config(root, name))


def preview(root: Path, names: list[str], console: Console, json_out: Path | None) -> bool:
    """Preview each bootstrap stack offline, print it; True when a mandatory policy failed.

    With `json_out` a directory (several plans), each is written as `bootstrap-<name>.json`.
    """
    from bootstrap.preview import run_bootstrap_offline
    from infra.preview.render import render

    failed = False
    for name in names:
        plan = run_bootstrap_offline(root, name)
        render(plan, console)
        if json_out is not None:
            path = json_out / f"bootstrap-{name}.json" if json_out.is_dir() else json_out
            path.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps(plan.to_json(), indent=2, sort_keys=True) + "\n"
            path.write_text(text, encoding="utf-8")
        failed = failed or bool(plan.mandatory_violations)
    return failed


__all__ = ["available", "check_files", "preview"]
