"""Fleet-sized stack files for the scale series, generated from a shipped stack file.

The template server entry is copied N times under new names, whatever keys it has, so the
generated fleet follows the shipped file as it evolves. Every other server is dropped: the
series measures N copies of one small model server, nothing else.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

SERVERS_KEY = "servestack:servers"
TEMPLATE_STACK = "dev"
TEMPLATE_SERVER = "tiny"


def fleet_config(document: dict[str, Any], servers: int, template: str) -> dict[str, Any]:
    """`document` (a parsed stack file) with `servers` copies of the server named `template`."""
    config = document.get("config") or {}
    entries = config.get(SERVERS_KEY) or []
    found = [e for e in entries if isinstance(e, dict) and e.get("name") == template]
    if not found:
        raise SystemExit(f"bench: no server named {template!r} under {SERVERS_KEY}")
    fleet = []
    for index in range(servers):
        entry = copy.deepcopy(found[0])
        entry["name"] = template if servers == 1 else f"{template}-{index + 1:03d}"
        fleet.append(entry)
    out = copy.deepcopy(document)
    out["config"][SERVERS_KEY] = fleet
    return out


def write_fleet(root: Path, out_dir: Path, servers: int) -> Path:
    """Write the `TEMPLATE_STACK` stack file with `servers` tiny servers; return its path."""
    source = root / "stacks" / f"Pulumi.{TEMPLATE_STACK}.yaml"
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    path = out_dir / f"{servers}" / f"Pulumi.{TEMPLATE_STACK}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(fleet_config(document, servers, TEMPLATE_SERVER), sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path
