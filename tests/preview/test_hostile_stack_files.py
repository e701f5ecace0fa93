"""Hostile stack files: each ends in exit 2 and exactly one unwrapped stderr line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.config import ConfigError
from infra.preview.stackfile import load_config_spec, read_stack_config
from tests.config.hostile import CIPHERTEXT

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
        [
            sys.executable,
            "-m",
            "infra.cli.app",
            "preview",
            "--offline",
            "--stack",
            "prod",
            "--stack-file",
            str(path),
        ],
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
        ("    team: ml-platform", "    team: ml-platform\n    team: other", "'team'"),
        (
            "  servestack:gpuBudget: 12",
            "  servestack:gpuBudget: 12\n  servestack:gpuBudget: 4",
            "'servestack:gpuBudget'",
        ),
    ],
    ids=["nested", "top-level"],
)
def test_duplicate_keys_are_rejected(tmp_path: Path, old: str, new: str, key: str) -> None:
    error = _error(_bad(tmp_path, old, new))
    assert f"duplicate key {key}" in error.message


def test_unquoted_timestamps_reach_the_program_as_written(tmp_path: Path) -> None:
    path = _bad(tmp_path, 'start: "2026-01-06T01:00:00Z"', "start: 2026-01-06T01:00:00Z")
    spec = load_config_spec(read_stack_config(ROOT, "prod", path))
    assert spec.cluster is not None
    assert spec.cluster.maintenance.start == "2026-01-06T01:00:00Z"


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('start: "2026-01-06T01:00:00Z"', "start: 2026-01-06", "maintenance.start"),
        ('end: "2026-01-06T05:00:00Z"', "end: next tuesday", "maintenance.end"),
        ('end: "2026-01-06T05:00:00Z"', 'end: "2026-01-05T05:00:00Z"', "maintenance.end"),
        (
            'end: "2027-01-04T00:00:00Z"',
            'end: "2027-13-04T00:00:00Z"',
            "maintenance.exclusions[0].end",
        ),
    ],
    ids=["date-only", "free-text", "end-before-start", "no-such-month"],
)
def test_maintenance_times_must_be_rfc3339(tmp_path: Path, old: str, new: str, key: str) -> None:
    error = _error(_bad(tmp_path, old, new))
    assert error.key == f"servestack:cluster.{key}", str(error)


def test_an_unpublished_model_version_names_the_given_file_before_any_resource(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infra.preview import engine

    local = (ROOT / "stacks/Pulumi.local.yaml").read_text(encoding="utf-8")
    path = tmp_path / "Pulumi.local.yaml"
    path.write_text(local.replace("versions: [1]", "versions: [9]", 1), encoding="utf-8")

    def declare(*_: object) -> None:
        raise AssertionError("the program ran")

    monkeypatch.setattr(engine, "_run_program", declare)
    with pytest.raises(ConfigError) as caught:
        engine.run_offline(ROOT, "local", stack_file=path)
    assert str(caught.value) == (
        f"{path}: servestack:servers[0].models[0].versions: tiny version 9 is not in "
        "model_images/models.lock; publish it with `servestack models publish --stack local`"
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("recipe: tiny\n            weights: imagenet", "recipe tiny takes weights none"),
        ("weights: imagenet", "applies to a recipe"),
    ],
    ids=["tiny-has-no-imagenet-weights", "weights-without-a-recipe"],
)
def test_weights_the_recipe_cannot_take(tmp_path: Path, source: str, message: str) -> None:
    local = (ROOT / "stacks/Pulumi.local.yaml").read_text(encoding="utf-8")
    path = tmp_path / "Pulumi.local.yaml"
    path.write_text(local.replace("recipe: tiny", source, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config_spec(read_stack_config(ROOT, "local", path))
    assert caught.value.key == "servestack:servers[0].models[0].source.weights"
    assert message in caught.value.message


def test_registry_password_must_be_a_secure_value(tmp_path: Path) -> None:
    local = (ROOT / "stacks/Pulumi.local.yaml").read_text(encoding="utf-8")
    path = tmp_path / "Pulumi.local.yaml"
    plain = "    registry: localhost:5001\n    registryPassword: hunter2"
    path.write_text(local.replace("    registry: localhost:5001", plain, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config_spec(read_stack_config(ROOT, "local", path))
    assert caught.value.key == "servestack:local.registryPassword"
    assert caught.value.message.startswith("must be a secure value")
    secure = "    registry: localhost:5001\n    registryPassword:\n      secure: " + CIPHERTEXT
    path.write_text(local.replace("    registry: localhost:5001", secure, 1), encoding="utf-8")
    spec = load_config_spec(read_stack_config(ROOT, "local", path))
    assert spec.local is not None and spec.local.registry_password is not None
