"""Refreshing the base-image lock, with the registry replaced by a lookup table."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from infra.images import baseimage, lockrefresh
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
