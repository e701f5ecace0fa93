"""Offline plans of many (tree, stack) pairs from one interpreter that imported the SDKs once.

A plan's fixed cost is importing the Pulumi SDKs (seconds); its own work is a fraction of
that. So one helper process (this file, run as a script so that it never imports any tree's
`infra`) imports the SDKs and then forks a child per plan. Each child puts its tree first on
`sys.path` and runs that tree's own `servestack preview --offline`, so two git refs keep
separate code while sharing the imported SDKs, copy-on-write. Per tree, one forked child
first imports that tree's own preview modules (`TREE_PRELOAD`) and then forks the plans of
its stacks, `parallel` at a time; trees follow one another. Each plan's start and end is one
JSON line on the helper's stdout.

Sharing the SDKs is only right when both trees pin the same dependencies; the caller checks
that (`same_pins`) and otherwise plans in separate processes (`worktree.run_plan`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The SDK modules and classes the program declares. The SDKs load submodules on first
# attribute access, so the helper touches each class, as a plan would.
PRELOAD: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pulumi", ("runtime",)),
    ("pulumi.runtime.mocks", ()),
    ("pulumi_gcp", ("compute", "container", "serviceaccount", "projects", "artifactregistry")),
    ("pulumi_gcp.compute", ("Network", "Subnetwork")),
    ("pulumi_gcp.container", ("Cluster", "NodePool")),
    ("pulumi_gcp.serviceaccount", ("Account",)),
    ("pulumi_gcp.projects", ("IAMMember",)),
    ("pulumi_gcp.artifactregistry", ("Repository", "RepositoryIamMember")),
    ("pulumi_gcp.organizations", ("get_client_config",)),
    ("pulumi_kubernetes", ("Provider",)),
    ("pulumi_kubernetes.meta.v1", ()),  # output types, loaded while outputs resolve
    ("pulumi_kubernetes.core.v1", ("Namespace", "Service", "ServiceAccount")),
    ("pulumi_kubernetes.apps.v1", ("Deployment",)),
    ("pulumi_kubernetes.autoscaling.v2", ("HorizontalPodAutoscaler",)),
    ("pulumi_kubernetes.policy.v1", ("PodDisruptionBudget",)),
    ("pulumi_kubernetes.networking.v1", ("NetworkPolicy",)),
    ("pulumi_kubernetes.apiextensions", ("CustomResource",)),
    ("pulumi_docker_build", ("Image",)),
    ("pulumi_policy", ()),
    ("pulumi_policy.proxy", ()),
    # The libraries every plan uses besides the SDKs (all pinned in pyproject.toml).
    ("pydantic", ()),
    ("typer", ()),
    ("rich.console", ()),
    ("rich.table", ()),
    ("yaml", ()),
    ("tensorflow_serving.config.model_server_config_pb2", ()),
)

# Each tree's own modules every plan imports (names that a tree lacks are skipped).
TREE_PRELOAD = (
    "infra.config",
    "infra.stack",
    "infra.preview.engine",
    "infra.preview.render",
    "infra.preview.manifests",
    "infra.preview.mocks",
    "infra.images.context",
    "policies.engine",
)

PLAN_ARGV = ("preview", "--offline", "--stack", "{stack}", "--json", "{out}")


@dataclass(frozen=True)
class Job:
    """One plan: `stack` planned with `tree`'s code, JSON to `out`, output to `log`."""

    key: str
    tree: str
    stack: str
    out: str
    log: str


@dataclass(frozen=True)
class Event:
    """A job started (`code` None) or ended with an exit `code` (-1: timed out)."""

    key: str
    code: int | None
    seconds: float = 0.0


def dependency_pins(tree: Path) -> list[str] | None:
    """The tree's `[project].dependencies`, or None when it has no readable pyproject."""
    try:
        document = tomllib.loads((tree / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    found = document.get("project", {}).get("dependencies")
    return sorted(str(d) for d in found) if isinstance(found, list) else None


def same_pins(a: Path, b: Path) -> bool:
    """True when both trees pin the same runtime dependencies, so one import serves both."""
    pins = dependency_pins(a)
    return pins is not None and pins == dependency_pins(b)


def default_jobs() -> int:
    return max(1, min(2, os.cpu_count() or 1))


# ------------------------------------------------------------------ the caller's side


def run_jobs(
    jobs: Sequence[Job],
    on_event: Callable[[Event], None],
    *,
    python: str = sys.executable,
    parallel: int | None = None,
    timeout: float = 900.0,
) -> dict[str, int]:
    """Run every job in one helper process; the exit code of each, by key."""
    spec = {
        "jobs": [job.__dict__ for job in jobs],
        "parallel": parallel or default_jobs(),
        "timeout": timeout,
    }
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PULUMI_CONFIG_PASSPHRASE", None)
    codes: dict[str, int] = {}
    with subprocess.Popen(
        [python, __file__],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    ) as helper:
        assert helper.stdin is not None and helper.stdout is not None
        helper.stdin.write(json.dumps(spec))
        helper.stdin.close()
        for line in helper.stdout:
            event = Event(**json.loads(line))
            if event.code is not None:
                codes[event.key] = event.code
            on_event(event)
    for job in jobs:
        codes.setdefault(job.key, -2)  # the helper itself failed before finishing this job
    return codes


# ---------------------------------------------------------------- the helper's side


def preload() -> None:
    """Import every PRELOAD module and touch its classes (the import floor of a plan)."""
    import importlib

    for module, names in PRELOAD:
        try:
            loaded = importlib.import_module(module)
        except ImportError:
            continue
        for name in names:
            getattr(loaded, name, None)


def _enter_tree(tree: str) -> None:
    """Make `tree` the working directory and the first place imports look."""
    os.chdir(tree)
    sys.path.insert(0, tree)


def _preload_tree() -> None:
    """Import the tree's own preview modules; a module that fails is left to the plan."""
    import importlib
    import io

    quiet = io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = quiet
    try:
        for module in TREE_PRELOAD:
            try:
                importlib.import_module(module)
            except Exception:  # noqa: BLE001 - each plan imports again and reports the error
                continue
    finally:
        sys.stdout, sys.stderr = saved


def _child(job: Job) -> None:
    """In the forked child (already in `job.tree`): become its `servestack preview`, exit."""
    code = 70
    try:
        fd = os.open(job.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        sys.argv = ["servestack", *(a.format(stack=job.stack, out=job.out) for a in PLAN_ARGV)]
        import runpy

        try:
            runpy.run_module("infra.cli.app", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        except BaseException:  # noqa: BLE001 - the child reports, the parent decides
            import traceback

            traceback.print_exc()
            code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _emit(key: str, code: int | None, seconds: float = 0.0) -> None:
    sys.stdout.write(json.dumps({"key": key, "code": code, "seconds": round(seconds, 3)}) + "\n")
    sys.stdout.flush()


def _serve_trees(spec: dict[str, Any]) -> None:
    """Per tree, in order: fork a child that imports the tree's modules, then its plans."""
    by_tree: dict[str, list[Job]] = {}
    for raw in spec["jobs"]:
        job = Job(**raw)
        by_tree.setdefault(job.tree, []).append(job)
    parallel, timeout = int(spec["parallel"]), float(spec["timeout"])
    for tree, jobs in by_tree.items():
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _enter_tree(tree)
                _preload_tree()
                _serve(jobs, parallel, timeout)
            except BaseException:  # noqa: BLE001 - the caller marks unfinished jobs failed
                code = 1
            finally:
                sys.stdout.flush()
                os._exit(code)
        os.waitpid(pid, 0)


def _serve(all_jobs: Sequence[Job], parallel: int, timeout: float) -> None:
    jobs: Iterator[Job] = iter(all_jobs)
    running: dict[int, tuple[Job, float]] = {}
    pending = True
    while pending or running:
        while pending and len(running) < parallel:
            job = next(jobs, None)
            if job is None:
                pending = False
                break
            _emit(job.key, None)
            sys.stdout.flush()
            pid = os.fork()
            if pid == 0:
                _child(job)
            running[pid] = (job, time.monotonic())
        if not running:
            break
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            now = time.monotonic()
            for child, (job, started) in list(running.items()):
                if now - started > timeout:
                    os.kill(child, signal.SIGKILL)
                    os.waitpid(child, 0)
                    del running[child]
                    _emit(job.key, -1, now - started)
            time.sleep(0.01)
            continue
        job, started = running.pop(pid)
        _emit(job.key, os.waitstatus_to_exitcode(status), time.monotonic() - started)


if __name__ == "__main__":
    # Run by path: drop this file's directory from the path so no tree's package leaks in.
    sys.path.pop(0)
    preload()
    _serve_trees(json.loads(sys.stdin.read()))
