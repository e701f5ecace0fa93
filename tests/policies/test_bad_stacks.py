"""End to end: `servestack preview --offline` rejects each bad stack file, naming the rule.

Each fixture in tests/fixtures/policy is the prod stack with one setting changed; its
second header line names the policy it breaks. Under an advisory config the same preview
exits 0 and still lists the violation.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "policy").glob("*.yaml"))
TIMEOUT_SECONDS = 300


def broken_rules(fixture: Path) -> list[str]:
    """The rules a fixture breaks, from its `# Breaks policy: a, b` header line."""
    for line in fixture.read_text(encoding="utf-8").splitlines():
        if line.startswith("# Breaks policy:"):
            return [rule.strip() for rule in line.split(":", 1)[1].split(",")]
    raise AssertionError(f"{fixture.name} does not name the policy it breaks")


def preview(fixture: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "infra.cli.app", "preview", "--offline", "--stack", "prod"]
    try:
        return subprocess.run(
            [*command, "--stack-file", str(fixture), *extra],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"offline preview of {fixture.name} did not finish in {TIMEOUT_SECONDS}s")


def test_every_fixture_names_a_known_rule() -> None:
    from policies.pack import POLICIES

    known = {p.name for p in POLICIES}
    assert FIXTURES
    for fixture in FIXTURES:
        assert set(broken_rules(fixture)) <= known, fixture.name


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_bad_stack_is_rejected_naming_the_rule(fixture: Path) -> None:
    result = preview(fixture)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    for rule in broken_rules(fixture):
        assert rule in output, f"{rule} not named:\n{output}"


@pytest.mark.parametrize("fixture", FIXTURES[:2], ids=[f.stem for f in FIXTURES[:2]])
def test_bad_stack_under_advisory_config_passes_and_lists_the_rule(
    fixture: Path, tmp_path: Path
) -> None:
    config = json.loads((ROOT / "policies" / "config" / "prod.json").read_text(encoding="utf-8"))
    config["all"] = {"enforcementLevel": "advisory"}
    advisory = tmp_path / "advisory.json"
    advisory.write_text(json.dumps(config), encoding="utf-8")
    result = preview(fixture, "--policy-config", str(advisory))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for rule in broken_rules(fixture):
        assert rule in output, f"{rule} not named:\n{output}"
