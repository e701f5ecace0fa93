"""`servestack canary` against a real Prometheus scraping TF Serving-format metrics.

A scripted good canary (same error rate and latency as stable) is promoted one weight step;
a scripted bad one (more errors, four times the latency) is refused and then aborted. The
commands run as a user runs them, reading Prometheus over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from infra.ops.canary_analysis import REQUEST_COUNT, REQUEST_LATENCY
from tests.ops.prometheus_server import BINARY, Running, prometheus, scrape_config
from tests.ops.tfs_exporter import Batch, Exporter

ROOT = Path(__file__).resolve().parents[2]
COMMAND_TIMEOUT = 120
DATA_TIMEOUT = 60
SERVER = "resnet"  # the staging stack's canary: weight 20, minRequests 200, step 10

needs_prometheus = pytest.mark.skipif(
    BINARY is None, reason="needs Debian's prometheus binary (.ci/run installs it)"
)

STABLE = Batch(ok=98, failed=2, latencies_micros=((15_000, 90), (30_000, 10)))
GOOD = Batch(ok=49, failed=1, latencies_micros=((15_000, 45), (30_000, 5)))
BAD = Batch(ok=40, failed=10, latencies_micros=((60_000, 45), (120_000, 5)))


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "stacks", project / "stacks")
    shutil.copy(ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
    return project


def canary_block(root: Path) -> object:
    document = YAML(typ="safe").load((root / "stacks" / "Pulumi.staging.yaml").read_text())
    server = next(s for s in document["config"]["servestack:servers"] if s["name"] == SERVER)
    return server.get("canary")


def run(root: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "infra.cli.app", "canary", *args]
    command += ["--stack", "staging", "--server", SERVER, "--prometheus-url", url]
    return subprocess.run(
        command, cwd=root, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False
    )


def enough_data(server: Running) -> bool:
    """Both tracks have a window's worth of counted requests and a latency histogram."""
    for track in ("stable", "canary"):
        selector = f'{{job="{SERVER}",track="{track}"}}'
        count = server.query(f"sum(increase({REQUEST_COUNT}{selector}[10m]))")
        p99 = server.query(
            f"histogram_quantile(0.99, sum by (le) (rate({REQUEST_LATENCY}_bucket{selector}[10m])))"
        )
        if count is None or count < 300 or p99 is None:
            return False
    return True


def scenario(tmp_path: Path, canary: Batch) -> tuple[Exporter, dict[str, object]]:
    exporter = Exporter(SERVER, {"stable": STABLE, "canary": canary})
    return exporter, scrape_config(SERVER, "serving", exporter.address, ["stable", "canary"])


@needs_prometheus
def test_a_good_canary_is_promoted_one_step(tmp_path: Path, root: Path) -> None:
    exporter, config = scenario(tmp_path, GOOD)
    with exporter, prometheus(tmp_path, config) as server:
        server.wait_until("a window of requests", enough_data, DATA_TIMEOUT)
        status = run(root, server.url, "status", "--json")
        assert status.returncode == 0, status.stderr
        assert '"decision": "promote"' in status.stdout, status.stdout
        result = run(root, server.url, "promote")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "-        weight: 20" in result.stdout
    assert "+        weight: 30" in result.stdout
    assert canary_block(root) == {
        "version": 4,
        "weight": 30,
        "analysis": {
            "window": "10m",
            "minRequests": 200,
            "maxErrorRateIncrease": 1.0,
            "maxLatencyRatio": 1.25,
            "step": 10,
            "maxWeight": 50,
        },
    }


@needs_prometheus
def test_a_bad_canary_is_refused_then_aborted(tmp_path: Path, root: Path) -> None:
    exporter, config = scenario(tmp_path, BAD)
    with exporter, prometheus(tmp_path, config) as server:
        server.wait_until("a window of requests", enough_data, DATA_TIMEOUT)
        refused = run(root, server.url, "promote")
        aborted = run(root, server.url, "abort", "--if-failing")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "decision: abort" in refused.stdout
    assert "error rate" in refused.stdout and "p99 latency" in refused.stdout
    assert aborted.returncode == 0, aborted.stdout + aborted.stderr
    assert "-      canary:" in aborted.stdout
    assert canary_block(root) is None


@needs_prometheus
def test_too_few_requests_change_nothing(tmp_path: Path, root: Path) -> None:
    quiet = Batch(ok=1, failed=0, latencies_micros=((15_000, 1),))
    exporter, config = scenario(tmp_path, quiet)
    before = (root / "stacks" / "Pulumi.staging.yaml").read_text()
    with exporter, prometheus(tmp_path, config) as server:
        server.wait_until("a few samples of stable", _stable_counted, DATA_TIMEOUT)
        result = run(root, server.url, "promote")
    assert result.returncode == 0, result.stderr
    assert "decision: wait" in result.stdout
    assert (root / "stacks" / "Pulumi.staging.yaml").read_text() == before


def _stable_counted(server: Running) -> bool:
    count = server.query(f'sum(increase({REQUEST_COUNT}{{track="stable"}}[10m]))')
    return count is not None and count >= 300


def test_an_unreachable_prometheus_is_one_line_exit_4(root: Path) -> None:
    result = run(root, "http://127.0.0.1:9", "status")
    assert result.returncode == 4
    assert result.stderr.count("\n") == 1 and "unreachable" in result.stderr
