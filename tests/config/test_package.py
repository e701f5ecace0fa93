"""The config package: small modules, and every public name reachable from `infra.config`."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import infra.config as config

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "infra" / "config"
MAX_LINES = 400


def _modules() -> list[str]:
    return sorted(info.name for info in pkgutil.iter_modules([str(PACKAGE)]))


@pytest.mark.parametrize("name", _modules())
def test_module_stays_small(name: str) -> None:
    lines = (PACKAGE / f"{name}.py").read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"infra/config/{name}.py has {lines} lines"


@pytest.mark.parametrize("name", _modules())
def test_public_models_are_re_exported(name: str) -> None:
    module = importlib.import_module(f"infra.config.{name}")
    for attr, value in vars(module).items():
        defined_here = getattr(value, "__module__", None) == module.__name__
        if attr.startswith("_") or not isinstance(value, type) or not defined_here:
            continue
        assert getattr(config, attr, None) is value, f"infra.config does not export {attr}"


def test_all_lists_only_real_names() -> None:
    assert sorted(config.__all__) == sorted(set(config.__all__))
    missing = [name for name in config.__all__ if not hasattr(config, name)]
    assert not missing
