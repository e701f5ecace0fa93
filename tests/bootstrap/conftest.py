"""Offline plans of the bootstrap and of every servestack stack, computed once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap.loader import load, read_config
from infra.preview.engine import Plan, run_offline

ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = "acme"
STACKS = ("local", "dev", "staging", "prod")


@pytest.fixture(scope="session")
def bootstrap_plan() -> Plan:
    from bootstrap.preview import run_bootstrap_offline

    return run_bootstrap_offline(ROOT, BOOTSTRAP)


@pytest.fixture(scope="session")
def stack_plans() -> dict[str, Plan]:
    return {stack: run_offline(ROOT, stack, with_policies=False) for stack in STACKS}


@pytest.fixture(scope="session")
def metric_plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    """dev with a server scaling on a custom metric: the metrics adapter's grants."""
    from tests.serving.metric_stack import with_metric

    path = with_metric("dev", tmp_path_factory.mktemp("metric"))
    return run_offline(ROOT, "dev", stack_file=path, with_policies=False)


@pytest.fixture(scope="session")
def spec_and_targets():  # type: ignore[no-untyped-def]
    return load(ROOT, read_config(ROOT, BOOTSTRAP))
