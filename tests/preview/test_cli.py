"""The `servestack preview --offline` command: files written, determinism, exit codes."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def servestack(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.cli.app", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_prod_plan_and_manifests_are_byte_identical_twice(tmp_path: Path) -> None:
    for run in ("a", "b"):
        result = servestack(
            "preview", "--offline", "--stack", "prod",
            "--json", str(tmp_path / run / "p.json"),
            "--manifests", str(tmp_path / run / "m"),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "a/p.json").read_bytes() == (tmp_path / "b/p.json").read_bytes()
    comparison = filecmp.dircmp(tmp_path / "a/m", tmp_path / "b/m")
    assert not comparison.diff_files and not comparison.left_only and not comparison.right_only
    deployment = yaml.safe_load((tmp_path / "a/m/serving/deployment-resnet.yaml").read_text())
    assert deployment["kind"] == "Deployment"
    assert (tmp_path / "a/m/_cluster/namespace-serving.yaml").is_file()


def test_all_stacks_exit_zero_and_print_a_summary_each() -> None:
    result = servestack("preview", "--offline", "--all")
    assert result.returncode == 0, result.stdout + result.stderr
    for stack in ("local", "dev", "staging", "prod"):
        assert f"\n{stack}: " in "\n" + result.stdout


def _copy_project(tmp_path: Path) -> Path:
    for name in ("Pulumi.yaml", "stacks", "policies", "model_images"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        else:
            shutil.copy(source, tmp_path / name)
    return tmp_path


def test_config_error_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    project = _copy_project(tmp_path)
    stack = project / "stacks/Pulumi.prod.yaml"
    stack.write_text(stack.read_text().replace("        min: 3\n", "        min: 30\n"))
    result = servestack("preview", "--offline", "--stack", "prod", cwd=project)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "stacks/Pulumi.prod.yaml: servestack:servers[1].autoscaling.min: must be <= max (30 > 12)"
    ]


def test_malformed_yaml_exits_2(tmp_path: Path) -> None:
    project = _copy_project(tmp_path)
    (project / "stacks/Pulumi.dev.yaml").write_text("config:\n  servestack:labels: [\n")
    result = servestack("preview", "--offline", "--all", cwd=project)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("stacks/Pulumi.dev.yaml: malformed YAML: line ")


def test_stack_and_all_are_exclusive() -> None:
    result = servestack("preview", "--offline")
    assert result.returncode == 2
    assert "exactly one of --stack NAME or --all" in result.stderr
