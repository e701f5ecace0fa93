"""Every `servestack` command ends in one line on bad input or a missing environment."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "stacks" / "Pulumi.broken.yaml").write_text("config:\n  servestack:servers: [\n")
    (tmp_path / "stacks" / "Pulumi.laughs.yaml").write_text(
        "config:\n  servestack:x: &a [1]\n  servestack:y: &b [*a, *a, *a]\n"
        + "".join(f"  servestack:z{i}: [{', '.join(['*b'] * 9)}]\n" for i in range(40))
    )
    return tmp_path


def _run(project: Path, *args: str) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-m", "infra.cli.app", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(project)},
    )
    return done.returncode, done.stderr.splitlines()


CASES = [
    (
        "unknown-option",
        ["promote", "tiny", "--from", "dev", "--to", "prod", "--nope"],
        2,
        "No such option",
    ),
    ("missing-option", ["export", "tiny"], 2, "Missing option"),
    (
        "promote-bad-target",
        ["promote", "inception", "--from", "prod", "--to", "broken"],
        2,
        "malformed YAML",
    ),
    (
        "promote-bad-source",
        ["promote", "inception", "--from", "broken", "--to", "prod"],
        2,
        "malformed YAML",
    ),
    ("preview-laughs", ["preview", "--offline", "--stack", "laughs"], 2, "refused YAML"),
    ("stacks-bad-file", ["models", "fetch", "--stack", "broken"], 2, "malformed YAML"),
]


@pytest.mark.parametrize(
    ("args", "code", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_one_line(project: Path, args: list[str], code: int, fragment: str) -> None:
    returncode, lines = _run(project, *args)
    assert returncode == code, lines
    assert len(lines) == 1, lines
    assert fragment in lines[0]
    assert "Traceback" not in lines[0]


@pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is not None, reason="the models environment has TF"
)
def test_smoke_without_the_models_environment_exits_3(project: Path) -> None:
    image = project / "cat.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    returncode, lines = _run(
        project,
        "smoke",
        "--stack",
        "dev",
        "--server",
        "tiny",
        "--image",
        str(image),
        "--address",
        "127.0.0.1:1",
    )
    assert returncode == 3, lines
    assert len(lines) == 1 and "make models-env" in lines[0]
