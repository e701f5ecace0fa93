"""The committed JSON Schema of the stack file: current, valid, and what the stack files use."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from infra.config import PROJECT, ConfigError, StackSpec, parse_stack
from infra.config.errors import TOP_LEVEL_KEYS
from infra.config.schema import COMMAND, SCHEMA_FILE, render, stack_file_schema
from infra.docs_reference import render as render_reference
from tests.config.hostile import CIPHERTEXT

ROOT = Path(__file__).resolve().parents[2]
STACK_FILES = sorted((ROOT / "stacks").glob("Pulumi.*.yaml"))
MODELINE = "# yaml-language-server: $schema="


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((ROOT / SCHEMA_FILE).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _errors(document: Any) -> list[str]:
    return [
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in _validator().iter_errors(document)
    ]


def _stack(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(
        (ROOT / "stacks" / f"Pulumi.{name}.yaml").read_text(encoding="utf-8")
    )
    return copy.deepcopy(document)


def test_committed_schema_is_current() -> None:
    committed = (ROOT / SCHEMA_FILE).read_text(encoding="utf-8")
    assert committed == render(), f"{SCHEMA_FILE} is out of date; regenerate it with: {COMMAND}"


def test_schema_is_a_valid_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(stack_file_schema())


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_every_shipped_stack_file_validates(path: Path) -> None:
    assert _errors(yaml.safe_load(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_every_stack_file_names_the_schema_on_its_first_line(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(MODELINE), first
    target = (path.parent / first.removeprefix(MODELINE)).resolve()
    assert target == (ROOT / SCHEMA_FILE).resolve()


def test_config_keys_are_the_stack_file_keys() -> None:
    config = stack_file_schema()["properties"]["config"]
    project = {
        f"{PROJECT}:{field.alias or name}"
        for name, field in StackSpec.model_fields.items()
        if name not in TOP_LEVEL_KEYS
    }
    assert set(config["properties"]) == {"gcp:project", "gcp:region"} | project
    # The same keys the reference documents, one heading each.
    headings = {
        line.removeprefix("## `").removesuffix("`")
        for line in render_reference().splitlines()
        if line.startswith(f"## `{PROJECT}:")
    }
    assert headings == project
    assert set(config["required"]) == {
        f"{PROJECT}:labels",
        f"{PROJECT}:kubernetesVersion",
        f"{PROJECT}:servers",
    }


def test_top_level_keys_are_those_the_offline_reader_accepts() -> None:
    from infra.preview.stackfile import _STACK_FILE_KEYS

    assert set(stack_file_schema()["properties"]) == _STACK_FILE_KEYS


def test_pulumi_top_level_keys_are_allowed_and_nothing_else() -> None:
    document = _stack("prod")
    document.update(
        secretsprovider="gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k",
        encryptedkey="CiQA...",
        encryptionsalt="v1:abc:def",
        environment=["servestack/prod"],
    )
    assert _errors(document) == []
    document["stacks"] = {}
    (error,) = _errors(document)
    assert "'stacks' was unexpected" in error


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda c: c.update({"servestack:servres": c.pop("servestack:servers")}), "servres"),
        (lambda c: c["servestack:nodePools"][0].update(machineTyp="n2"), "nodePools/0"),
        (lambda c: c["servestack:cluster"].update(releaseChannel="FAST"), "releaseChannel"),
        (lambda c: c["servestack:servers"][0]["resources"].update(memory="2GB"), "memory"),
        (lambda c: c.update({"aws:region": "eu-west-1"}), "aws:region"),
        (lambda c: c.pop("servestack:labels"), "servestack:labels"),
    ],
)
def test_a_misspelt_or_malformed_key_is_rejected(change: Any, where: str) -> None:
    document = _stack("prod")
    change(document["config"])
    errors = _errors(document)
    assert errors, "the schema accepted a broken stack file"
    assert any(where in error for error in errors), errors


def test_values_the_loader_accepts_in_other_spellings_validate() -> None:
    document = _stack("local")
    config = document["config"]
    config["servestack:servers"][0]["resources"]["cpu"] = 2  # read as "2"
    config["servestack:local"]["registryPassword"] = {"secure": CIPHERTEXT}
    config["kubernetes:enableServerSideApply"] = "true"
    assert _errors(document) == []
    # A password in plain text never validates: it must be a secure value.
    config["servestack:local"]["registryPassword"] = "hunter2"
    assert _errors(document)


def test_cross_key_checks_stay_in_python() -> None:
    document = _stack("prod")
    document["config"]["servestack:servers"][0]["nodePool"] = "no-such-pool"
    assert _errors(document) == []  # each key is well-formed on its own
    with pytest.raises(ConfigError, match="unknown node pool 'no-such-pool'"):
        parse_stack("prod", document["config"])
