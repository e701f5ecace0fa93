from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infra.config import ConfigError
from infra.ops.promote import PromoteError, promote, validate, write
from infra.preview.stackfile import load_spec

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    """A copy of the project's stack files, so promotions can be written."""
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    return tmp_path


def _comments(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


def test_promote_version_changes_only_that_line_and_keeps_comments(root: Path) -> None:
    staging = load_spec(root, "staging")
    result = promote(root, "inception", source=staging, target_stack="prod", version=3)
    assert result.changed
    diff = result.unified_diff()
    removed = [line for line in diff.splitlines() if line.startswith("-") and line[1:2] != "-"]
    added = [line for line in diff.splitlines() if line.startswith("+") and line[1:2] != "+"]
    assert removed == ["-          versions: [2]"]
    assert added == ["+          versions: [3]"]
    assert _comments(result.new_text) == _comments(result.old_text)
    assert "# Change a model version here, open a PR, read the preview comment, merge." in (
        result.new_text
    )
    write(root, result)
    prod = load_spec(root, "prod")
    assert next(s for s in prod.servers if s.name == "inception").models[0].versions == [3]


def test_version_must_run_in_the_source(root: Path) -> None:
    with pytest.raises(PromoteError, match="does not serve inception version 7"):
        promote(
            root, "inception", source=load_spec(root, "staging"), target_stack="prod", version=7
        )


def test_default_version_is_the_source_stable_label(root: Path) -> None:
    result = promote(root, "inception", source=load_spec(root, "staging"), target_stack="prod")
    assert result.version == 2
    assert not result.changed  # prod already serves 2


def test_label_moves_and_version_is_added(root: Path) -> None:
    staging = load_spec(root, "staging")
    result = promote(
        root, "inception", source=staging, target_stack="prod", version=3, label="stable"
    )
    assert "+          versions: [2, 3]" in result.unified_diff()
    assert "+            stable: 3" in result.unified_diff()
    spec = validate(root, result, "prod")
    model = next(s for s in spec.servers if s.name == "inception").models[0]
    assert model.versions == [2, 3]
    assert model.version_labels == {"stable": 3}
    assert _comments(result.new_text) == _comments(result.old_text)


def test_promoting_onto_labels_drops_stale_ones(root: Path) -> None:
    prod = load_spec(root, "prod")
    result = promote(root, "inception", source=prod, target_stack="staging", version=2)
    spec = validate(root, result, "staging")
    model = next(s for s in spec.servers if s.name == "inception").models[0]
    assert model.versions == [2]
    assert model.version_labels == {"stable": 2}


def test_promoting_a_canary_version_retires_the_canary(root: Path, tmp_path: Path) -> None:
    # staging's resnet runs a canary of version 4; promote version 4 to it from a source
    # stack that serves it.
    text = (
        (root / "stacks" / "Pulumi.prod.yaml").read_text().replace("versions: [3]", "versions: [4]")
    )
    (root / "stacks" / "Pulumi.prod.yaml").write_text(text)
    result = promote(root, "resnet", source=load_spec(root, "prod"), target_stack="staging")
    assert "-      canary:" in result.unified_diff()
    spec = validate(root, result, "staging")
    resnet = next(s for s in spec.servers if s.name == "resnet")
    assert resnet.canary is None and resnet.models[0].versions == [4]


def test_unknown_server_and_missing_target(root: Path) -> None:
    dev = load_spec(root, "dev")
    with pytest.raises(PromoteError, match="has no server 'nope'"):
        promote(root, "nope", source=dev, target_stack="prod")
    with pytest.raises(PromoteError, match="no server named 'tiny'"):
        promote(root, "tiny", source=dev, target_stack="prod")
    with pytest.raises(PromoteError, match="stack file not found"):
        promote(root, "tiny", source=dev, target_stack="qa")


def test_invalid_result_is_reported_against_the_target_file(root: Path) -> None:
    # A label name the schema rejects makes the edited file invalid.
    result = promote(
        root, "tiny", source=load_spec(root, "dev"), target_stack="local", label="Bad Label"
    )
    with pytest.raises(ConfigError) as caught:
        validate(root, result, "local")
    assert caught.value.file == "stacks/Pulumi.local.yaml"
