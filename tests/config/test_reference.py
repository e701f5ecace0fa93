"""The committed config reference is what the models say, and every key is explained."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from pydantic import BaseModel

from infra import config
from infra.docs_reference import COMMAND, REFERENCE_FILE, Row, field_rows, models, render

ROOT = Path(__file__).resolve().parents[2]


def _all_models() -> list[type[BaseModel]]:
    """Every stack-file model of the infra/config package, reachable from StackSpec or not."""
    return [
        obj
        for _, obj in sorted(vars(config).items())
        if inspect.isclass(obj)
        and issubclass(obj, config.Strict)
        and obj is not config.Strict
        and obj.__module__.startswith(f"{config.__name__}.")
    ]


def _rows() -> dict[str, Row]:
    rows: list[Row] = []
    for name, field in config.StackSpec.model_fields.items():
        rows += field_rows(field.alias or name, field)
    return {row.path: row for row in rows}


def test_committed_reference_is_current() -> None:
    committed = (ROOT / REFERENCE_FILE).read_text(encoding="utf-8")
    assert committed == render(), (
        f"{REFERENCE_FILE} is out of date with infra/config/; regenerate it with: {COMMAND}"
    )


@pytest.mark.parametrize("model", _all_models(), ids=lambda m: m.__name__)
def test_every_field_has_a_docstring(model: type[BaseModel]) -> None:
    missing = [name for name, field in model.model_fields.items() if not field.description]
    assert not missing, f"{model.__name__}: fields without a docstring: {missing}"


def test_every_model_is_reachable_from_the_stack_spec() -> None:
    # A model the walk cannot reach would be silently missing from the reference.
    assert set(models()) == set(_all_models())


def test_every_key_has_one_row() -> None:
    lines = render().splitlines()
    documented = [line.split("`")[1] for line in lines if line.startswith("| `")]
    assert len(documented) == len(set(documented)), "a key is documented twice"
    not_project = {"stack", "gcpProject", "gcpRegion"}
    assert set(documented) == {"gcp:project", "gcp:region"} | (set(_rows()) - not_project)
    for model in models():
        for name, field in model.model_fields.items():
            key = field.alias or name
            if model is config.StackSpec and key in not_project:
                continue
            assert any(p == key or p.endswith(f".{key}") for p in documented), (model, key)


def test_rows_name_types_defaults_and_meaning() -> None:
    rows = _rows()
    cidr = rows["cluster.network.podsCidr"]
    assert (cidr.type, cidr.default) == ("CIDR", "`10.16.0.0/14`")
    assert cidr.meaning.startswith("Secondary range for pod IPs")
    assert rows["cluster.releaseChannel"].type.startswith("one of `RAPID`, `REGULAR`")
    assert rows["cluster.releaseChannel"].default == "`REGULAR`"
    assert rows["nodePools[].gpu.count"].type == "int, 1 to 16"
    assert rows["nodePools[].gpu"].default == "unset"
    assert rows["nodePools[].taints[].effect"].default == "`NoSchedule`"
    assert rows["nodePools[].labels"].type == "map of string to label value"
    assert rows["servers"].type == "list of objects, at least 1 item"
    assert rows["servers[].models[].versions"].type == (
        "list of int (each 1 to 9007199254740991), at least 1 item"
    )
    assert rows["servers[].resources.cpu"].default == '`"1"`'  # bare 1 would be a YAML int
    assert rows["servers[].resources.memory"].type == "memory quantity"
    assert rows["servers[].canary.version"].default == "required"
    assert rows["serving.allowFrom.namespaces"].type == "list of DNS label"
    assert rows["local.registryPassword"].type == "string (secret)"
    assert rows["labels.cost-center"].type == "label value"


def test_document_layout() -> None:
    text = render()
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    project_keys = [
        f"## `servestack:{field.alias}`"
        for name, field in config.StackSpec.model_fields.items()
        if name not in {"stack", "gcp_project", "gcp_region"}
    ]
    assert headings == ["## Provider keys", "## Value types", *project_keys]
    provider = text.split("## Provider keys", 1)[1].split("## ", 1)[0]
    assert "| `gcp:project` | GCP project id | required for GKE stacks |" in provider
    assert "| `gcp:region` | string | required for GKE stacks |" in provider
    # Regex alternations stay inside their cell.
    assert "`^\\d+(Ki\\|Mi\\|Gi\\|Ti)$`" in text
    for line in text.splitlines():
        if line.startswith("| `"):
            assert line.replace("\\|", "").count("|") == 5, line
