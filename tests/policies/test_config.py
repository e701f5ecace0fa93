"""Per-stack policy config: loadable, valid for the CLI, and in step with the stack files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.config import ConfigError
from infra.config.targets import gcp_target
from infra.platform.registry import registry_location, registry_url
from infra.preview.stackfile import load_spec
from infra.serving.metrics_adapter import IMAGE as ADAPTER_IMAGE
from policies.engine import load_policy_config, validate_config

ROOT = Path(__file__).resolve().parents[2]
STACKS = ["local", "dev", "staging", "prod"]
LEVELS = {"local": "advisory", "dev": "advisory", "staging": "mandatory", "prod": "mandatory"}


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_config_is_valid_with_the_expected_level(stack: str) -> None:
    config = load_policy_config(ROOT, stack)
    assert validate_config(config) is None
    assert config["all"] == {"enforcementLevel": LEVELS[stack]}


@pytest.mark.parametrize("stack", STACKS)
def test_config_matches_its_stack_file(stack: str) -> None:
    spec = load_spec(ROOT, stack)
    config = load_policy_config(ROOT, stack)
    if spec.local is not None:
        registry = f"{spec.local.registry}/"
    else:
        url = registry_url(
            registry_location(gcp_target(spec)), str(spec.gcp_project), spec.registry.repository
        )
        registry = f"{url}/"
    # GKE stacks also take the metrics adapter from Google's release registry, that one image only.
    adapter = [] if spec.local is not None else [f"{ADAPTER_IMAGE.rpartition(':')[0]}:"]
    assert config["image-allowed-registry"]["allowedRegistries"] == [registry, *adapter]
    assert config["gpu-budget"]["gpuBudget"] == spec.gpu_budget
    assert config["gpu-replacement-overlap"]["gpuBudget"] == spec.gpu_budget
    assert config["kubernetes-labels"]["expectedLabels"]["env"] == spec.labels.env
    assert config["gcp-labels"]["expectedLabels"]["env"] == spec.labels.env


@pytest.mark.parametrize(
    ("document", "key", "fragment"),
    [
        ({"no-such-policy": {}}, "no-such-policy", "unknown policy"),
        ({"gpu-budget": {"budget": 3}}, "gpu-budget.budget", "allowed: gpuBudget"),
        ({"gpu-budget": {"gpuBudget": "8"}}, "gpu-budget.gpuBudget", "must be integer"),
        ({"gpu-budget": {"gpuBudget": -1}}, "gpu-budget.gpuBudget", "must be integer"),
        ({"min-replicas": {"minReplicas": True}}, "min-replicas.minReplicas", "integer"),
        ({"all": "strict"}, "all", "unknown enforcement level"),
        ({"all": {"enforcementLevel": "mandatory", "x": 1}}, "all.x", "only enforcementLevel"),
        (
            {"image-allowed-registry": {"allowedRegistries": [1]}},
            "image-allowed-registry.allowedRegistries",
            "must be array",
        ),
        ([], "", "JSON object"),
    ],
)
def test_invalid_config_is_named_by_key(document: object, key: str, fragment: str) -> None:
    problem = validate_config(document)
    assert problem is not None
    assert problem[0] == key
    assert fragment in problem[1]


def test_missing_or_malformed_config_is_one_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"policies/config/nowhere\.json: no policy config"):
        load_policy_config(ROOT, "nowhere")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match="malformed JSON"):
        load_policy_config(ROOT, "prod", broken)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"gpu-budget": {"gpuBudget": "lots"}}), encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_policy_config(ROOT, "prod", bad)
    assert error.value.key == "gpu-budget.gpuBudget"


def test_explicit_config_path_wins(tmp_path: Path) -> None:
    custom = tmp_path / "custom.json"
    custom.write_text(json.dumps({"all": "disabled"}), encoding="utf-8")
    assert load_policy_config(ROOT, "prod", custom) == {"all": "disabled"}
