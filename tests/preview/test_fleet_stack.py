"""The bench's generated fleet: N copies of the shipped template server, nothing else."""

from __future__ import annotations

from pathlib import Path

import yaml

from bench.fleet import SERVERS_KEY, TEMPLATE_SERVER, TEMPLATE_STACK, write_fleet
from infra.preview.engine import run_offline

ROOT = Path(__file__).resolve().parents[2]


def test_fleet_copies_the_template_server_under_new_names(tmp_path: Path) -> None:
    path = write_fleet(ROOT, tmp_path, 3)
    shipped = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{TEMPLATE_STACK}.yaml").read_text())
    fleet = yaml.safe_load(path.read_text())
    template = next(s for s in shipped["config"][SERVERS_KEY] if s["name"] == TEMPLATE_SERVER)
    servers = fleet["config"][SERVERS_KEY]
    assert [s["name"] for s in servers] == [f"{TEMPLATE_SERVER}-{i:03d}" for i in (1, 2, 3)]
    assert all({**s, "name": TEMPLATE_SERVER} == template for s in servers)
    rest = {k: v for k, v in fleet["config"].items() if k != SERVERS_KEY}
    assert rest == {k: v for k, v in shipped["config"].items() if k != SERVERS_KEY}


def test_fleet_stack_previews_one_workload_per_server(tmp_path: Path) -> None:
    plan = run_offline(ROOT, TEMPLATE_STACK, stack_file=write_fleet(ROOT, tmp_path, 3))
    services = plan.by_type("servestack:serving:ModelService")
    assert sorted(r.name for r in services) == ["tiny-001", "tiny-002", "tiny-003"]
    assert plan.mandatory_violations == []
