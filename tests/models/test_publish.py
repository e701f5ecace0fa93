"""`models publish` and `models lock`: a version is made once, gated, uploaded and locked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from infra.cli.app import app
from model_images.lock import read_lock, tree_digest
from tests.gcs_emulator import gcs_emulator

pytestmark = pytest.mark.models
ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _project(tmp_path: Path, uri: str) -> Path:
    """A project whose local stack serves tiny 1 from `uri`, with an empty model lock."""
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    (root / "model_images").mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    stack = yaml.safe_load((ROOT / "stacks/Pulumi.local.yaml").read_text())
    stack["config"]["servestack:servers"][0]["models"][0]["source"] = {
        "uri": uri,
        "recipe": "tiny",
    }
    (root / "stacks/Pulumi.local.yaml").write_text(yaml.safe_dump(stack))
    return root


def test_publish_to_a_bucket_then_fetch_and_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with gcs_emulator("team-models", monkeypatch):
        root = _project(tmp_path, "gs://team-models/tiny")
        result = runner.invoke(app, ["models", "publish", "--stack", "local", "--root", str(root)])
        assert result.exit_code == 0, result.output
        assert "published tiny/1 sha256:" in result.stdout
        entry = read_lock(root).get("tiny", 1)
        assert entry is not None and entry.source == "gs://team-models/tiny/1"
        assert entry.provenance["recipe"] == "tiny" and entry.provenance["tensorflow"]
        assert entry.signature["inputs"] == {"image_bytes": {"dtype": "string", "shape": [-1]}}
        fetched = root / "build/models/tiny/1"
        assert tree_digest(fetched) == entry.digest
        # Nothing left to publish; publishing the same number again is refused.
        again = runner.invoke(app, ["models", "publish", "--stack", "local", "--root", str(root)])
        assert "nothing to publish" in again.stdout
        explicit = runner.invoke(
            app,
            ["models", "publish", "--stack", "local", "--model", "tiny", "--version", "1",
             "--root", str(root)],
        )  # fmt: skip
        assert explicit.exit_code == 1
        assert "already in the lock; a version is published once" in explicit.stderr
        # A fresh machine: fetch from the bucket, then lock agrees with what was published.
        shutil.rmtree(root / "build")
        fetch = runner.invoke(app, ["models", "fetch", "--stack", "local", "--root", str(root)])
        assert fetch.exit_code == 0, fetch.output
        assert fetch.stdout.startswith("fetched   tiny/1")
        locked = runner.invoke(app, ["models", "lock", "--stack", "local", "--root", str(root)])
        assert locked.exit_code == 0, locked.output
        assert read_lock(root).get("tiny", 1) == entry


def test_lock_refuses_a_version_whose_content_changed(tmp_path: Path) -> None:
    share = tmp_path / "share"
    root = _project(tmp_path, f"file://{share}/tiny")
    result = runner.invoke(app, ["models", "publish", "--stack", "local", "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert (share / "tiny/1/saved_model.pb").is_file()
    before = json.loads((root / "model_images/models.lock").read_text())
    # Re-exported under the same number: other bytes, so the lock must not take it.
    shutil.rmtree(root / "build/models/tiny/1")
    runner.invoke(app, ["export", "tiny", "--version", "1", "--out", str(root / "build/models")])
    (root / "build/models/tiny/1/assets.extra/note").write_text("re-export\n")
    locked = runner.invoke(app, ["models", "lock", "--stack", "local", "--root", str(root)])
    assert locked.exit_code == 1
    assert "differs from the locked" in locked.stderr
    assert "publish a new version number" in locked.stderr
    assert json.loads((root / "model_images/models.lock").read_text()) == before


def test_publish_refuses_a_model_the_gate_fails(tmp_path: Path) -> None:
    from tests.models.legacy_export import legacy_export

    old = legacy_export(tmp_path / "old" / "1")
    root = _project(tmp_path, f"file://{tmp_path / 'share'}/tiny")
    result = runner.invoke(
        app,
        ["models", "publish", "--stack", "local", "--model", "tiny", "--version", "1",
         "--from", str(old), "--root", str(root)],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "tiny/1: warmup fails, so TF Serving fails the load" in result.stderr
    assert not (tmp_path / "share").exists()
    assert read_lock(root).get("tiny", 1) is None
