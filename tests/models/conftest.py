"""Contract tests need TensorFlow: they run in the models environment (.venv-models).

Elsewhere (the deploy environment) they are not collected, and the report header says why.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HAVE_TENSORFLOW = importlib.util.find_spec("tensorflow") is not None
if not HAVE_TENSORFLOW:
    collect_ignore_glob = ["test_*.py"]


def pytest_report_header() -> str | None:
    if HAVE_TENSORFLOW:
        return None
    return "tests/models: not collected, TensorFlow is not installed (make models-env)"


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model store with tiny versions 1 and 2, exported once per session."""
    from model_images.export import export

    store = tmp_path_factory.mktemp("store")
    export("tiny", 1, store)
    export("tiny", 2, store)
    return store
