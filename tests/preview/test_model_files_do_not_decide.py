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
from typing import Any

import pytest
import yaml

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


def _preview_workflow_step() -> dict[str, Any]:
    """The step of preview.yml that writes the PR comment, as GitHub would run it."""
    workflow = yaml.safe_load((ROOT / ".github/workflows/preview.yml").read_text("utf-8"))
    steps = workflow["jobs"]["offline-diff"]["steps"]
    step: dict[str, Any] = next(
        s for s in steps if s.get("name") == "Diff every stack against the base"
    )
    return step


@pytest.mark.parametrize("models", [False, True], ids=["fresh-clone", "models-on-disk"])
def test_the_preview_workflows_command_shows_no_change_on_an_unchanged_commit(
    tmp_path: Path, models: bool
) -> None:
    """preview.yml's own script, on a committed tree diffed against itself: 0 changes."""
    project = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(project)], check=True, timeout=120)
    if models:
        _fill_model_store(project)
    step = _preview_workflow_step()
    assert step["env"] == {"BASE_SHA": "${{ github.event.pull_request.base.sha }}"}
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True, check=True
    ).stdout.strip()
    # `pip install .` puts `servestack` on PATH in the workflow; here it is this interpreter's.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", step["run"]],
        cwd=project, capture_output=True, text=True, timeout=900, check=False,
        env={**os.environ, "BASE_SHA": head, "PATH": path, "COLUMNS": "200"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    comment = (project / "out" / "plan-diff.md").read_text(encoding="utf-8")
    rows = {
        line.split("|")[1].strip(" `"): line
        for line in comment.splitlines()
        if line.startswith("| `")
    }
    assert set(rows) == set(STACKS)
    for stack, row in rows.items():
        assert "| 0 | 0 | 0 | 0 |" in row and "no changes" in row, (stack, row)
