"""The ops commands as a user runs them: real processes, real exit codes, real stderr."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra.ops.automation import INSTALL_HINT, Operation, StackRun, run_all, safe_order

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, cwd: Path = ROOT, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env["COLUMNS"] = "200"
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "infra.cli.app", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _path_without_pulumi(tmp_path: Path) -> str:
    """A PATH with git but without any `pulumi` executable."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    git = shutil.which("git")
    assert git is not None
    (bin_dir / "git").symlink_to(git)
    return str(bin_dir)


def test_up_without_pulumi_cli_exits_3_with_one_line(tmp_path: Path) -> None:
    result = _run("up", "--stack", "dev", path=_path_without_pulumi(tmp_path))
    assert result.returncode == 3
    assert result.stderr.splitlines() == [INSTALL_HINT]
    assert result.stdout == ""


def test_preview_and_refresh_without_cli_exit_3(tmp_path: Path) -> None:
    path = _path_without_pulumi(tmp_path)
    for args in (("preview", "--all"), ("refresh", "--stack", "prod")):
        result = _run(*args, path=path)
        assert result.returncode == 3, result.stderr
        assert len(result.stderr.splitlines()) == 1
        assert "Pulumi CLI is not installed" in result.stderr


def test_up_needs_exactly_one_of_stack_or_all() -> None:
    result = _run("up")
    assert result.returncode == 2
    assert result.stderr.strip() == "servestack: give exactly one of --stack NAME or --all"


def test_stacks_lists_every_stack() -> None:
    result = _run("stacks")
    assert result.returncode == 0, result.stderr
    for stack in ("local", "dev", "staging", "prod"):
        assert f"│ {stack} " in result.stdout
    assert "gpu-l4 (g2-standard-8 1xnvidia-l4, 2-6)" in result.stdout
    assert "inception/inception: 2,3 canary=3 stable=2" in result.stdout


def test_promote_dry_run_prints_the_diff_and_writes_nothing() -> None:
    before = (ROOT / "stacks" / "Pulumi.prod.yaml").read_text()
    result = _run(
        "promote", "inception", "--from", "staging", "--to", "prod", "--version", "3", "--dry-run"
    )
    assert result.returncode == 0, result.stderr
    assert "-          versions: [2]\n+          versions: [3]" in result.stdout
    assert (ROOT / "stacks" / "Pulumi.prod.yaml").read_text() == before


def test_promote_error_is_one_line_exit_2() -> None:
    result = _run("promote", "inception", "--from", "staging", "--to", "prod", "--version", "9")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "servestack: stack 'staging' does not serve inception version 9 (it serves [2, 3])"
    ]


def test_diff_with_unknown_ref_is_one_line_exit_2() -> None:
    result = _run("diff", "--base", "no-such-ref-xyz", "--stack", "dev")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"servestack: unknown git ref 'no-such-ref-xyz' in {ROOT}"
    ]


def test_smoke_unknown_server_exit_2(tmp_path: Path) -> None:
    image = tmp_path / "x.jpg"
    image.write_bytes(b"\xff\xd8")
    result = _run("smoke", "--stack", "dev", "--server", "nope", "--image", str(image))
    assert result.returncode == 2
    assert "has no server 'nope'" in result.stderr


def test_smoke_without_address_or_cli_exit_3(tmp_path: Path) -> None:
    image = tmp_path / "x.jpg"
    image.write_bytes(b"\xff\xd8")
    result = _run(
        "smoke",
        "--stack",
        "dev",
        "--server",
        "tiny",
        "--image",
        str(image),
        path=_path_without_pulumi(tmp_path),
    )
    assert result.returncode == 3
    assert len(result.stderr.splitlines()) == 1
    assert "--address HOST:PORT" in result.stderr


def test_safe_order_and_up_stops_at_first_failure() -> None:
    assert safe_order(["prod", "qa", "dev", "local", "staging", "dev"]) == [
        "local",
        "dev",
        "staging",
        "prod",
        "qa",
    ]
    seen: list[str] = []

    def runner(root: Path, stack: str, op: Operation) -> StackRun:
        seen.append(stack)
        return StackRun(stack, op, ok=stack != "staging", message="boom")

    results = run_all(ROOT, ["prod", "staging", "dev"], Operation.UP, runner=runner)
    assert seen == ["dev", "staging"]
    assert [(r.stack, r.ok, r.skipped) for r in results] == [
        ("dev", True, False),
        ("staging", False, False),
        ("prod", False, True),
    ]
    seen.clear()
    run_all(ROOT, ["prod", "staging", "dev"], Operation.PREVIEW, runner=runner)
    assert seen == ["dev", "staging", "prod"]


@pytest.mark.parametrize("op", list(Operation))
def test_operation_options_name_the_stack_file_and_policy_config(op: Operation) -> None:
    from infra.ops.automation import operation_options

    options = operation_options(ROOT, "prod", op)
    assert options["config_file"] == str(ROOT / "stacks" / "Pulumi.prod.yaml")
    if op is Operation.REFRESH or not (ROOT / "policies" / "PulumiPolicy.yaml").is_file():
        assert "policy_packs" not in options
    else:
        assert options["policy_packs"] == [str(ROOT / "policies")]
