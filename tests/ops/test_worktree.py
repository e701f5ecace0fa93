"""Worktree plumbing against a throw-away git repository with a stand-in plan command."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from infra.ops.planfork import same_pins
from infra.ops.worktree import (
    WorktreeError,
    plans_at,
    plans_for,
    repo_root,
    resolve_ref,
    worktree_at,
)
from infra.preview.stackfile import available_stacks

# A stand-in for `python -m infra.cli.app preview --offline --stack S --json F`: it reports
# which tree's code ran (its own CODE constant) and the stack file it read.
FAKE_APP = """
import json, pathlib, sys
CODE = "{code}"
args = sys.argv[1:]
stack = args[args.index("--stack") + 1]
out = pathlib.Path(args[args.index("--json") + 1])
text = pathlib.Path("stacks", f"Pulumi.{{stack}}.yaml").read_text()
if "broken" in text:
    where = f"stacks/Pulumi.{{stack}}.yaml"
    sys.stderr.write(f"Traceback...\\n{{where}}: servestack:servers: required key\\n")
    sys.exit(2)
out.write_text(json.dumps({{"project": "servestack", "stack": stack, "code": CODE,
                           "file": text, "resources": [], "outputs": {{}}, "policies": []}}))
"""


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def _write_app(repo: Path, code: str) -> None:
    (repo / "infra" / "cli").mkdir(parents=True, exist_ok=True)
    (repo / "infra" / "__init__.py").write_text("")
    (repo / "infra" / "cli" / "__init__.py").write_text("")
    (repo / "infra" / "cli" / "app.py").write_text(FAKE_APP.format(code=code))


def _commit(repo: Path, message: str) -> str:
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", message)
    return _git(repo, "rev-parse", "HEAD")


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    _write_app(root, "base")
    (root / "stacks").mkdir()
    (root / "stacks" / "Pulumi.dev.yaml").write_text("config: {v: 1}\n")
    _commit(root, "base")
    return root


def test_base_and_head_each_run_their_own_code(repo: Path, tmp_path: Path) -> None:
    base = resolve_ref(repo, "HEAD")
    _write_app(repo, "head")
    (repo / "stacks" / "Pulumi.dev.yaml").write_text("config: {v: 2}\n")
    (repo / "stacks" / "Pulumi.qa.yaml").write_text("config: {v: 9}\n")
    _commit(repo, "head")
    (repo / "stacks" / "Pulumi.dev.yaml").write_text("config: {v: 3}\n")  # uncommitted edit

    with worktree_at(repo, base) as tree:
        assert available_stacks(tree) == ["dev"]
        before = plans_for(tree, ["dev", "qa"], tmp_path / "base")
    after = plans_for(repo, ["dev", "qa"], tmp_path / "head")

    dev_before = before["dev"].plan
    assert dev_before is not None
    assert (dev_before["code"], dev_before["file"]) == ("base", "config: {v: 1}\n")
    assert before["qa"].absent and before["qa"].plan is None
    dev_after = after["dev"].plan
    assert dev_after is not None
    assert (dev_after["code"], dev_after["file"]) == ("head", "config: {v: 3}\n")
    assert after["qa"].plan is not None


def test_worktree_is_removed_afterwards(repo: Path) -> None:
    with worktree_at(repo, "main") as tree:
        assert (tree / "stacks" / "Pulumi.dev.yaml").is_file()
        assert len(_git(repo, "worktree", "list").splitlines()) == 2
    assert not tree.exists()
    assert not tree.parent.exists()
    assert len(_git(repo, "worktree", "list").splitlines()) == 1


def test_worktree_is_removed_when_the_body_fails(repo: Path) -> None:
    with pytest.raises(RuntimeError), worktree_at(repo, "main") as tree:
        raise RuntimeError("boom")
    assert not tree.exists()
    assert len(_git(repo, "worktree", "list").splitlines()) == 1


def test_failed_plan_reports_the_last_error_line(repo: Path, tmp_path: Path) -> None:
    (repo / "stacks" / "Pulumi.dev.yaml").write_text("broken\n")
    result = plans_for(repo, ["dev"], tmp_path / "out")["dev"]
    assert result.plan is None
    assert result.error == (
        "offline plan failed: stacks/Pulumi.dev.yaml: servestack:servers: required key"
    )


def test_unknown_ref_is_one_clear_error(repo: Path) -> None:
    with pytest.raises(WorktreeError, match="unknown git ref 'no-such-branch'"):
        resolve_ref(repo, "no-such-branch")


def test_repo_root_from_a_subdirectory(repo: Path) -> None:
    assert repo_root(repo / "stacks") == repo.resolve()


@pytest.mark.parametrize("fork", [True, False])
def test_plans_at_runs_each_trees_own_code(repo: Path, tmp_path: Path, fork: bool) -> None:
    base = resolve_ref(repo, "HEAD")
    _write_app(repo, "head")
    (repo / "stacks" / "Pulumi.dev.yaml").write_text("config: {v: 2}\n")
    (repo / "stacks" / "Pulumi.qa.yaml").write_text("broken\n")
    events: list[tuple[str, str, str]] = []
    with worktree_at(repo, base) as tree:
        results = plans_at(
            {"base": tree, "head": repo},
            ["dev", "qa"],
            tmp_path / "out",
            fork=fork,
            progress=lambda side, stack, state: events.append((side, stack, state)),
        )
    dev_before, dev_after = results["base"]["dev"].plan, results["head"]["dev"].plan
    assert dev_before is not None and dev_after is not None
    assert (dev_before["code"], dev_before["file"]) == ("base", "config: {v: 1}\n")
    assert (dev_after["code"], dev_after["file"]) == ("head", "config: {v: 2}\n")
    assert results["base"]["qa"].absent
    assert results["head"]["qa"].error == (
        "offline plan failed: stacks/Pulumi.qa.yaml: servestack:servers: required key"
    )
    assert sorted(e for e in events if e[2] != "planning") == [
        ("base", "dev", "done"),
        ("head", "dev", "done"),
        ("head", "qa", "failed"),
    ]


def test_pins_decide_whether_one_import_serves_both_trees(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for tree, pins in (
        (a, '["pulumi>=3.200,<4", "pydantic>=2"]'),
        (b, '["pydantic>=2", "pulumi>=3.200,<4"]'),
    ):
        tree.mkdir()
        (tree / "pyproject.toml").write_text(f"[project]\nname = 'x'\ndependencies = {pins}\n")
    assert same_pins(a, b)
    (b / "pyproject.toml").write_text(
        "[project]\nname = 'x'\ndependencies = ['pulumi>=3.300,<4']\n"
    )
    assert not same_pins(a, b)
    assert not same_pins(a, tmp_path / "none")
