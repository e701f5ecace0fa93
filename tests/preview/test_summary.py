"""The preview's summary line counts the rows its table shows; components are counted apart."""

from __future__ import annotations

from rich.console import Console

from infra.preview.capture import CapturedResource
from infra.preview.engine import Plan
from infra.preview.render import render, summary_line


def _resource(type_: str, name: str, *, custom: bool) -> CapturedResource:
    urn = f"urn:pulumi:dev::servestack::{type_}::{name}"
    return CapturedResource(urn, type_, name, "", "", custom, {})


def _plan() -> Plan:
    resources = [
        _resource("servestack:serving:ModelService", "tiny", custom=False),
        _resource("servestack:platform:Platform", "platform", custom=False),
        _resource("kubernetes:apps/v1:Deployment", "tiny", custom=True),
        _resource("kubernetes:core/v1:Service", "tiny", custom=True),
        _resource("gcp:container/cluster:Cluster", "serve-dev", custom=True),
    ]
    return Plan(project="servestack", stack="dev", file="x.yaml", resources=resources, outputs={})


def test_summary_counts_the_table_rows_and_components_apart() -> None:
    line = summary_line(_plan())
    assert line == (
        "dev: 3 resources (1 gcp, 2 kubernetes) and 2 components; policy: 0 mandatory, 0 advisory"
    )


def test_the_table_has_one_row_per_counted_resource() -> None:
    console = Console(record=True, width=200)
    render(_plan(), console)
    text = console.export_text()
    rows = [line for line in text.splitlines() if line.startswith("│")]
    assert len(rows) == 3
    assert "ModelService" not in text
