"""`servestack models fetch`: versions come from the locked source and must match its digest.

Runs in the deploy environment (no TensorFlow). gs:// goes through google-cloud-storage
against a local emulator; file:// and repository paths need nothing else.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from infra.cli.app import app
from infra.config import parse_stack
from infra.images.supply import SupplyError, fetch
from model_images.lock import ModelLock, manifest, tree_digest, write_lock
from model_images.sources import SourceError, publish_version
from tests.gcs_emulator import gcs_emulator
from tests.images.conftest import ROOT, fake_store, lock_of

runner = CliRunner()


def test_the_digest_is_what_coreutils_computes(tmp_path: Path) -> None:
    """The documented recipe (find | sort | sha256sum | sha256sum) gives the lock digest."""
    version = ROOT / "model_images/published/tiny/1"
    pipeline = (
        "find . -type f -printf '%P\\n' | LC_ALL=C sort | xargs -d '\\n' sha256sum | sha256sum"
    )
    result = subprocess.run(
        ["bash", "-c", pipeline], cwd=version, capture_output=True, text=True, check=True
    )
    assert "sha256:" + result.stdout.split()[0] == tree_digest(version)
    odd = tmp_path / "odd"
    (odd / "b dir").mkdir(parents=True)
    (odd / "b dir" / "z é.txt").write_text("accents and spaces\n")
    (odd / "B").write_text("upper sorts first in C order\n")
    result = subprocess.run(
        ["bash", "-c", pipeline], cwd=odd, capture_output=True, text=True, check=True
    )
    assert "sha256:" + result.stdout.split()[0] == tree_digest(odd)
    assert manifest(odd).splitlines()[0].endswith("  B")


def _spec(uri: str, store: Path) -> object:
    return parse_stack(
        "t",
        {
            "servestack:labels": {"team": "ml", "env": "t", "cost-center": "cc-1"},
            "servestack:kubernetesVersion": "1.34",
            "servestack:local": {"kubeconfigContext": "kind-x"},
            "servestack:modelStore": str(store),
            "servestack:externalPaths": [str(store.parent)],
            "servestack:servers": [
                {
                    "name": "classify",
                    "models": [
                        {"name": "tiny", "source": {"uri": f"{uri}/tiny"}, "versions": [1, 2]},
                        {
                            "name": "inception",
                            "source": {"uri": f"{uri}/inception"},
                            "versions": [3],
                        },
                    ],
                }
            ],
        },
    )


def _publish_all(published: Path, base: str, root: Path) -> ModelLock:
    for model, version in (("tiny", 1), ("tiny", 2), ("inception", 3)):
        publish_version(published / model / str(version), f"{base}/{model}/{version}", root)
    return lock_of(published, bucket=base)


def test_fetch_from_a_file_uri_verifies_every_version(tmp_path: Path) -> None:
    published = fake_store(tmp_path / "made")
    share = tmp_path / "share"
    lock = _publish_all(published, f"file://{share}", tmp_path)
    store = tmp_path / "store"
    spec = _spec(f"file://{share}", store)
    lines = list(fetch(spec, tmp_path, lock))  # type: ignore[arg-type]
    assert [line.split()[:2] for line in lines] == [
        ["fetched", "inception/3"],
        ["fetched", "tiny/1"],
        ["fetched", "tiny/2"],
    ]
    assert tree_digest(store / "tiny" / "2") == tree_digest(published / "tiny" / "2")
    again = list(fetch(spec, tmp_path, lock))  # type: ignore[arg-type]
    assert all(line.startswith("verified") for line in again)
    # The share changes under the lock: the fetch refuses what it got.
    (share / "tiny" / "1" / "saved_model.pb").write_bytes(b"swapped")
    shutil.rmtree(store / "tiny" / "1")
    with pytest.raises(SupplyError) as error:
        list(fetch(spec, tmp_path, lock))  # type: ignore[arg-type]
    assert "servestack:servers[0].models[0].source: tiny/1 from file://" in str(error.value)
    assert "refusing it" in str(error.value)


def test_a_version_is_published_once(tmp_path: Path) -> None:
    published = fake_store(tmp_path / "made")
    _publish_all(published, f"file://{tmp_path / 'share'}", tmp_path)
    with pytest.raises(SourceError, match="already published; a version is published once"):
        publish_version(published / "tiny" / "1", f"file://{tmp_path / 'share'}/tiny/1", tmp_path)


def test_fetch_from_cloud_storage_through_the_client_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = fake_store(tmp_path / "made")
    with gcs_emulator("test-models", monkeypatch):
        lock = _publish_all(published, "gs://test-models", tmp_path)
        with pytest.raises(SourceError, match="already published"):
            publish_version(published / "tiny" / "1", "gs://test-models/tiny/1", tmp_path)
        store = tmp_path / "store"
        spec = _spec("gs://test-models", store)
        lines = list(fetch(spec, tmp_path, lock))  # type: ignore[arg-type]
        assert [line.split()[0] for line in lines] == ["fetched"] * 3
        for model, version in (("tiny", 1), ("tiny", 2), ("inception", 3)):
            assert tree_digest(store / model / str(version)) == tree_digest(
                published / model / str(version)
            )
        missing = _spec("gs://test-models/elsewhere", tmp_path / "other")
        lock_elsewhere = lock_of(published, bucket="gs://test-models/elsewhere")
        with pytest.raises(SupplyError, match="no objects under this prefix"):
            list(fetch(missing, tmp_path, lock_elsewhere))  # type: ignore[arg-type]


def test_fetch_command_ends_in_one_line_on_an_unlocked_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    (root / "model_images").mkdir()
    (root / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    local = yaml.safe_load((ROOT / "stacks/Pulumi.local.yaml").read_text())
    local["config"]["servestack:servers"][0]["models"][0]["versions"] = [3]
    (root / "stacks/Pulumi.local.yaml").write_text(yaml.safe_dump(local))
    write_lock(root, ModelLock())
    monkeypatch.chdir(root)
    result = runner.invoke(app, ["models", "fetch", "--stack", "local"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "servestack: stacks/Pulumi.local.yaml: servestack:servers[0].models[0].versions: "
        "tiny/3 is not in model_images/models.lock; publish it with "
        "`servestack models publish --stack local`"
    )


def test_the_shipped_repository_versions_match_the_lock() -> None:
    result = runner.invoke(app, ["models", "fetch", "--stack", "local", "--root", str(ROOT)])
    assert result.exit_code == 0, result.output
    assert result.stdout.split()[:2] == ["verified", "tiny/1"]
