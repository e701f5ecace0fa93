"""Build offline plans at a git ref and in the working tree, each with its own code.

The base ref is checked out into a temporary `git worktree` and the plan runs there in a
fresh interpreter (the current one, so no extra environment is needed) with the worktree
first on `sys.path`: the base ref's own program, stack files and models produce its
plan. The worktree is removed afterwards, whatever happened.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.config import stack_file

PLAN_ARGS = ("-m", "infra.cli.app", "preview", "--offline", "--stack", "{stack}", "--json", "{out}")
PLAN_TIMEOUT_SECONDS = 900


class WorktreeError(Exception):
    """A git operation failed; the message is one line for the user."""


@dataclass(frozen=True)
class PlanResult:
    """A stack's plan at one side: the JSON document, or why there is none."""

    stack: str
    plan: dict[str, Any] | None = None
    error: str | None = None
    absent: bool = False


def _git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["git failed"])[-1]
        raise WorktreeError(f"git {' '.join(args)}: {detail}")
    return result.stdout.strip()


def resolve_ref(repo: Path, ref: str) -> str:
    """The commit a ref names, or a clear error if it names none."""
    try:
        return _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except WorktreeError:
        raise WorktreeError(f"unknown git ref {ref!r} in {repo}") from None


def repo_root(path: Path) -> Path:
    return Path(_git(path, "rev-parse", "--show-toplevel"))


@contextmanager
def worktree_at(repo: Path, ref: str) -> Iterator[Path]:
    """A detached, temporary checkout of `ref`; removed on exit."""
    commit = resolve_ref(repo, ref)
    parent = Path(tempfile.mkdtemp(prefix="servestack-base-"))
    path = parent / "tree"
    _git(repo, "worktree", "add", "--detach", "--quiet", str(path), commit)
    try:
        yield path
    finally:
        subprocess.run(
            ["git", "-C", str(repo), "worktree", "remove", "--force", str(path)],
            capture_output=True,
            check=False,
        )
        subprocess.run(
            ["git", "-C", str(repo), "worktree", "prune"], capture_output=True, check=False
        )
        if parent.exists():
            for leftover in sorted(parent.rglob("*"), reverse=True):
                if leftover.is_dir() and not leftover.is_symlink():
                    leftover.rmdir()
                else:
                    leftover.unlink()
            parent.rmdir()


def _environment(tree: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # No Pulumi engine, cloud or network is involved in an offline plan.
    env.pop("PULUMI_CONFIG_PASSPHRASE", None)
    return env


def run_plan(
    tree: Path,
    stack: str,
    out: Path,
    *,
    python: str = sys.executable,
    args: Sequence[str] = PLAN_ARGS,
    timeout: float = PLAN_TIMEOUT_SECONDS,
) -> PlanResult:
    """Run the offline plan of `stack` with `tree`'s own code and read its JSON."""
    if not (tree / stack_file(stack)).is_file():
        return PlanResult(stack=stack, absent=True)
    command = [python, *(a.format(stack=stack, out=str(out)) for a in args)]
    try:
        result = subprocess.run(
            command,
            cwd=tree,
            env=_environment(tree),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return PlanResult(stack=stack, error=f"offline plan timed out after {timeout:.0f} s")
    if not out.is_file():
        lines = (result.stderr or result.stdout).strip().splitlines()
        reason = lines[-1] if lines else f"exit code {result.returncode}"
        return PlanResult(stack=stack, error=f"offline plan failed: {reason}")
    try:
        document = json.loads(out.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        return PlanResult(stack=stack, error=f"offline plan wrote invalid JSON: {error}")
    if not isinstance(document, dict):
        return PlanResult(stack=stack, error="offline plan JSON is not an object")
    return PlanResult(stack=stack, plan=document)


def plans_for(
    tree: Path,
    stacks: Sequence[str],
    out_dir: Path,
    *,
    python: str = sys.executable,
    args: Sequence[str] = PLAN_ARGS,
) -> dict[str, PlanResult]:
    """Plans of several stacks in one tree, one after another (the machine is small)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return {
        stack: run_plan(tree, stack, out_dir / f"{stack}.json", python=python, args=args)
        for stack in stacks
    }
