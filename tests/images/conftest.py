"""Stack specs, fake model stores and a matching model lock for the image tests (no TensorFlow)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra.config import StackSpec, parse_stack
from model_images.lock import LockedVersion, ModelLock, tree_digest, tree_size

ROOT = Path(__file__).resolve().parents[2]

BASE_VALUES: dict[str, Any] = {
    "gcp:project": "acme-test",
    "gcp:region": "europe-west4",
    "servestack:labels": {"team": "ml", "env": "test", "cost-center": "cc-1"},
    "servestack:kubernetesVersion": "1.33",
    "servestack:cluster": {"name": "serve-test", "location": "europe-west4"},
    "servestack:nodePools": [
        {"name": "cpu", "machineType": "n2-standard-4"},
        {
            "name": "gpu",
            "machineType": "g2-standard-8",
            "gpu": {"type": "nvidia-l4", "count": 1},
            "autoscaling": {"min": 0, "max": 2},
        },
    ],
    "servestack:gpuBudget": 2,
    "servestack:servers": [
        {
            "name": "classify",
            "nodePool": "cpu",
            "models": [
                {
                    "name": "tiny",
                    "source": {"uri": "gs://test-models/tiny", "recipe": "tiny"},
                    "versions": [1, 2],
                    "versionLabels": {"stable": 1, "canary": 2},
                },
                {
                    "name": "inception",
                    "source": {
                        "uri": "gs://test-models/inception",
                        "recipe": "inception_v3",
                        "weights": "imagenet",
                    },
                    "versions": [3],
                    "versionPolicy": "latest",
                },
            ],
            "batching": {"maxBatchSize": 16},
            "canary": {"model": "tiny", "version": 2, "weight": 10},
        },
        {
            "name": "gpu-server",
            "nodePool": "gpu",
            "resources": {"gpus": 1},
            "models": [
                {"name": "tiny", "source": {"uri": "gs://test-models/tiny"}, "versions": [1]}
            ],
        },
    ],
}


def make_spec(store: Path, **overrides: Any) -> StackSpec:
    values = copy.deepcopy(BASE_VALUES)
    values["servestack:modelStore"] = str(store)
    values["servestack:externalPaths"] = [str(store.parent)]
    for key, value in overrides.items():
        values[key] = value
    return parse_stack("test", values)


def fake_saved_model(directory: Path, seed: str) -> None:
    """A directory shaped like a SavedModel; contents only need to be distinct bytes."""
    (directory / "variables").mkdir(parents=True)
    (directory / "saved_model.pb").write_bytes(f"graph {seed}".encode())
    (directory / "variables" / "variables.index").write_bytes(f"index {seed}".encode())
    (directory / "assets").mkdir()
    (directory / "assets" / "labels.txt").write_text("cat\ndog\n")


VERSIONS = (("tiny", 1), ("tiny", 2), ("inception", 3))


def fake_store(store: Path) -> Path:
    for model, version in VERSIONS:
        fake_saved_model(store / model / str(version), f"{model}-{version}")
    return store


def lock_of(store: Path, bucket: str = "gs://test-models") -> ModelLock:
    """The model lock a publish of the store's versions to `bucket` would have written."""
    lock = ModelLock()
    for model, version in VERSIONS:
        directory = store / model / str(version)
        files, size = tree_size(directory)
        lock.put(
            LockedVersion(
                model=model,
                version=version,
                source=f"{bucket}/{model}/{version}",
                digest=tree_digest(directory),
                files=files,
                size=size,
            )
        )
    return lock


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A model store holding every model version BASE_VALUES names, as fetched."""
    return fake_store(tmp_path / "models")


@pytest.fixture
def model_lock(store: Path) -> ModelLock:
    return lock_of(store)


@pytest.fixture
def spec_for(store: Path) -> Callable[..., StackSpec]:
    def build(**overrides: Any) -> StackSpec:
        return make_spec(store, **overrides)

    return build
