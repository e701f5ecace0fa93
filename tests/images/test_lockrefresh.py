"""Refreshing the base-image lock, with the registry replaced by a lookup table."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from infra.images import baseimage, lockrefresh
from infra.serving.metrics_adapter import IMAGE as ADAPTER_IMAGE
from tests.images.conftest import ROOT


def _fake_digest(repository: str, tag: str) -> str:
    return "sha256:" + hashlib.sha256(f"{repository}:{tag}".encode()).hexdigest()


def test_refresh_pins_every_cpu_and_gpu_tag_and_keeps_the_header(tmp_path: Path) -> None:
    (tmp_path / "model_images").mkdir()
    lock = tmp_path / baseimage.LOCK_FILE
    original = (ROOT / baseimage.LOCK_FILE).read_text()
    lock.write_text(original)
    lockrefresh.refresh(tmp_path, ["2.19.1", "2.20.0"], _fake_digest)
    text = lock.read_text()
    assert text.startswith(baseimage.lock_header(original))
    entries = baseimage.parse_lock(text)
    assert set(entries) == {
        ADAPTER_IMAGE,
        "tensorflow/serving:2.19.1",
        "tensorflow/serving:2.19.1-gpu",
        "tensorflow/serving:2.20.0",
        "tensorflow/serving:2.20.0-gpu",
    }
    assert entries["tensorflow/serving:2.20.0-gpu"] == _fake_digest(
        "tensorflow/serving", "2.20.0-gpu"
    )


def test_refresh_rejects_a_lookup_that_returns_no_digest() -> None:
    with pytest.raises(baseimage.LockError):
        lockrefresh.refreshed("", ["2.19.1"], lambda repository, tag: "latest")


def test_refresh_adds_the_deployed_images_it_is_given() -> None:
    text = lockrefresh.refreshed("", [], _fake_digest, images=[ADAPTER_IMAGE])
    repository, _, tag = ADAPTER_IMAGE.rpartition(":")
    assert baseimage.parse_lock(text) == {ADAPTER_IMAGE: _fake_digest(repository, tag)}


def test_each_image_is_looked_up_on_its_own_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[str, str]] = []

    def head(auth: str, manifest: str) -> str:
        asked.append((auth, manifest))
        return "sha256:" + "0" * 64

    monkeypatch.setattr(lockrefresh, "_head_digest", head)
    lockrefresh.registry_digest("tensorflow/serving", "2.19.1")
    lockrefresh.registry_digest("gcr.io/gke-release/custom-metrics-stackdriver-adapter", "v1")
    assert asked[0][1] == "https://registry-1.docker.io/v2/tensorflow/serving/manifests/2.19.1"
    assert asked[1] == (
        "https://gcr.io/v2/token?service=gcr.io&scope=repository:"
        "gke-release/custom-metrics-stackdriver-adapter:pull",
        "https://gcr.io/v2/gke-release/custom-metrics-stackdriver-adapter/manifests/v1",
    )
    with pytest.raises(ValueError, match=r"no digest lookup for registry quay\.io"):
        lockrefresh.registry_digest("quay.io/org/image", "v1")
