"""Build offline plans at a git ref and in the working tree, each with its own code.

The base ref is checked out into a temporary `git worktree` and the plan runs there with
the current interpreter (so no extra environment is needed) and the worktree first on
`sys.path`: the base ref's own program, stack files and models produce its plan. When both
trees pin the same dependencies, every plan is forked from one process that imported the
SDKs once (`planfork`); otherwise each plan is a fresh interpreter. The worktree is removed
afterwards, whatever happened.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.config import stack_file
from infra.ops import planfork

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
    return read_plan(stack, out, result.stderr or result.stdout, result.returncode)


def read_plan(stack: str, out: Path, output: str, code: int) -> PlanResult:
    """The plan a finished `preview --offline --json out` wrote, or its last error line."""
    if not out.is_file():
        lines = output.strip().splitlines()
        reason = lines[-1] if lines else f"exit code {code}"
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
    """Plans of several stacks in one tree, each in a fresh interpreter, one after another."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return {
        stack: run_plan(tree, stack, out_dir / f"{stack}.json", python=python, args=args)
        for stack in stacks
    }


# (side, stack, state) with state "planning", "done" or "failed".
Progress = Callable[[str, str, str], None]


def _quiet(side: str, stack: str, state: str) -> None:
    return None


def plans_at(
    trees: Mapping[str, Path],
    stacks: Sequence[str],
    out_dir: Path,
    *,
    progress: Progress = _quiet,
    python: str = sys.executable,
    fork: bool | None = None,
) -> dict[str, dict[str, PlanResult]]:
    """Plans of `stacks` in each named tree (e.g. base and head), by tree name then stack.

    Forked from one SDK import (`planfork`) when every tree pins the same dependencies
    (or `fork` says so); otherwise one fresh interpreter per plan.
    """
    names = list(trees)
    if fork is None:
        fork = all(planfork.same_pins(trees[names[0]], trees[n]) for n in names[1:])
    results: dict[str, dict[str, PlanResult]] = {name: {} for name in names}
    jobs: list[planfork.Job] = []
    for name in names:
        (out_dir / name).mkdir(parents=True, exist_ok=True)
        for stack in stacks:
            if not (trees[name] / stack_file(stack)).is_file():
                results[name][stack] = PlanResult(stack=stack, absent=True)
                continue
            out = out_dir / name / f"{stack}.json"
            jobs.append(
                planfork.Job(f"{name}/{stack}", str(trees[name]), stack, str(out), f"{out}.log")
            )
    if fork:
        by_key = {job.key: job for job in jobs}

        def on_event(event: planfork.Event) -> None:
            name, stack = event.key.split("/", 1)
            state = (
                "planning" if event.code is None else ("done" if event.code in (0, 1) else "failed")
            )
            progress(name, stack, state)

        codes = planfork.run_jobs(jobs, on_event, python=python)
        for key, code in codes.items():
            job = by_key[key]
            log = Path(job.log)
            output = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
            if code == -1:
                output = "timed out"
            results[key.split("/", 1)[0]][job.stack] = read_plan(
                job.stack, Path(job.out), output, code
            )
    else:
        for job in jobs:
            name = job.key.split("/", 1)[0]
            progress(name, job.stack, "planning")
            result = run_plan(Path(job.tree), job.stack, Path(job.out), python=python)
            results[name][job.stack] = result
            progress(name, job.stack, "failed" if result.error else "done")
    return {name: {s: results[name][s] for s in stacks} for name in names}
