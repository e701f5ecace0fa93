"""Hostile stack files: each ends in exit 2 and exactly one unwrapped stderr line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.config import ConfigError
from infra.preview.stackfile import load_config_spec, read_stack_config

ROOT = Path(__file__).resolve().parents[2]
PROD = (ROOT / "stacks/Pulumi.prod.yaml").read_text(encoding="utf-8")


def _bad(tmp_path: Path, old: str, new: str) -> Path:
    assert old in PROD
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(PROD.replace(old, new, 1), encoding="utf-8")
    return path


def _error(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config_spec(read_stack_config(ROOT, "prod", path))
    return caught.value


def test_long_error_stays_one_line_on_a_narrow_stderr(tmp_path: Path) -> None:
    path = _bad(tmp_path, "    releaseChannel: STABLE", "    releaseChanel: STABLE")
    env = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "LINES"}}
    result = subprocess.run(
        [sys.executable, "-m", "infra.cli.app", "preview", "--offline", "--stack", "prod"]
        + ["--stack-file", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{path}: servestack:cluster.releaseChanel: unknown key; allowed: ")


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_bytes(b"config:\n  gcp:project: \xff\xfe\n")
    error = _error(path)
    assert error.file == str(path)
    assert "UTF-8" in error.message


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("    team: ml-platform", "    team: ml-platform\n    team: other", "servestack:labels.team"),
        ("  servestack:gpuBudget: 8", "  servestack:gpuBudget: 8\n  servestack:gpuBudget: 4", ""),
    ],
    ids=["nested", "top-level"],
)
def test_duplicate_keys_are_rejected(tmp_path: Path, old: str, new: str, key: str) -> None:
    error = _error(_bad(tmp_path, old, new))
    assert "duplicate key" in error.message
    assert ("team" if key else "servestack:gpuBudget") in str(error)
