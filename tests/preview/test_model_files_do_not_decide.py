"""Plans follow the model lock, never the model files on disk (issue: fresh clone = deploy job).

A fresh clone has no model files, a developer may have every version fetched, and the deploy
job fetches before `pulumi up`: all three must compute byte-identical plans, and a diff
against the same commit must show nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.images.conftest import fake_saved_model

ROOT = Path(__file__).resolve().parents[2]
STACKS = ("local", "dev", "staging", "prod")


def _servestack(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.cli.app", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "200"},
    )


def _plans(project: Path, out: Path) -> dict[str, bytes]:
    plans = {}
    for stack in STACKS:
        result = _servestack(
            "preview", "--offline", "--stack", stack, "--json", str(out / f"{stack}.json"),
            cwd=project,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        plans[stack] = (out / f"{stack}.json").read_bytes()
    return plans


def _fill_model_store(project: Path) -> None:
    """Every bucket version the stacks serve, as `models fetch` would leave them (any bytes)."""
    for model, version in (("inception", 2), ("inception", 3), ("resnet", 3), ("resnet", 4)):
        fake_saved_model(project / "build/models" / model / str(version), f"{model}-{version}")


def _clone(tmp_path: Path) -> Path:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    # The working tree as it is now (committed or not), so the test checks this code.
    for name in ("Pulumi.yaml", "stacks", "model_images", "policies"):
        source, target = ROOT / name, clone / name
        if source.is_dir():
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target)
    return clone


def test_plans_are_byte_identical_with_and_without_model_files(tmp_path: Path) -> None:
    project = _clone(tmp_path)
    assert not (project / "build/models").exists()
    bare = _plans(project, tmp_path / "bare")
    _fill_model_store(project)
    fetched = _plans(project, tmp_path / "fetched")
    assert bare == fetched


def test_diff_against_the_same_commit_shows_nothing_with_model_files_present(
    tmp_path: Path,
) -> None:
    project = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(project)], check=True, timeout=120)
    _fill_model_store(project)
    comment = tmp_path / "comment.md"
    result = _servestack("diff", "--base", "HEAD", "--all", "--markdown", str(comment), cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {
        line.split("|")[1].strip(" `"): line
        for line in comment.read_text().splitlines()
        if line.startswith("| `")
    }
    assert set(rows) == set(STACKS)
    for stack, row in rows.items():
        assert "| 0 | 0 | 0 | 0 |" in row and "no changes" in row, (stack, row)
