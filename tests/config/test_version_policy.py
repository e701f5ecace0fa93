"""A version label is accepted only where its version is sure to load under the policy."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from infra.config import ModelSpec


def _model(policy: str, versions: list[int], labels: dict[str, int]) -> dict[str, Any]:
    return {
        "name": "m",
        "source": {"path": "model_images/published/tiny"},
        "versions": versions,
        "versionPolicy": policy,
        "versionLabels": labels,
    }


def test_latest_loads_only_the_highest_version_so_other_labels_are_refused() -> None:
    with pytest.raises(ValidationError) as error:
        ModelSpec.model_validate(_model("latest", [1, 2], {"stable": 1, "canary": 2}))
    message = str(error.value)
    assert "versionLabels.stable: version 1 never loads under versionPolicy latest" in message
    assert ModelSpec.model_validate(_model("latest", [1, 2], {"canary": 2})).version_labels == {
        "canary": 2
    }


@pytest.mark.parametrize("policy", ["specific", "all"])
def test_policies_that_load_every_listed_version_take_labels_on_any(policy: str) -> None:
    spec = ModelSpec.model_validate(_model(policy, [1, 2], {"stable": 1, "canary": 2}))
    assert spec.version_labels == {"stable": 1, "canary": 2}
