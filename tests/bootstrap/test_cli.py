"""`servestack preview --offline`: --all covers the bootstrap; --bootstrap NAME alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.bootstrap.conftest import ROOT


def servestack(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.cli.app", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_bootstrap_alone_writes_its_json_plan(tmp_path: Path) -> None:
    out = tmp_path / "acme.json"
    result = servestack("preview", "--offline", "--bootstrap", "acme", "--json", str(out))
    assert result.returncode == 0, result.stderr
    assert "acme: " in result.stdout and "0 mandatory" in result.stdout
    plan = json.loads(out.read_text())
    assert plan["project"] == "servestack-bootstrap"
    assert plan["policies"] == []
    assert "githubVariables" in plan["outputs"]


def test_all_covers_every_stack_and_the_bootstrap(tmp_path: Path) -> None:
    result = servestack("preview", "--offline", "--all", "--json", str(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = [line.split(":", 1)[0] for line in result.stdout.splitlines() if " resources (" in line]
    assert lines == ["local", "dev", "staging", "prod", "acme"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bootstrap-acme.json",
        "dev.json",
        "local.json",
        "prod.json",
        "staging.json",
    ]


def test_bootstrap_needs_offline_and_no_stack() -> None:
    for args in (("--bootstrap", "acme"), ("--offline", "--bootstrap", "acme", "--all")):
        result = servestack("preview", *args)
        assert result.returncode == 2
        assert "--bootstrap goes with --offline" in result.stderr
