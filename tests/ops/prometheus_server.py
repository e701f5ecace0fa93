"""A real Prometheus (Debian's `prometheus` binary) on 127.0.0.1, for the canary tests.

Its scrape job stands in for what Managed Prometheus makes of the server's PodMonitoring:
`job` is the PodMonitoring's name (the server), `namespace` the pods' namespace, and the
track label copied from each pod (GoogleCloudPlatform/prometheus-engine pkg/operator/apis/
monitoring/v1/pod_config.go: the "job" and "namespace" relabellings; targetLabels.fromPod).
Readiness and scrape health are read from Prometheus's own HTTP API, never assumed.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from infra.serving.labels import METRIC_TRACK_LABEL

BINARY = shutil.which("prometheus")
SCRAPE_INTERVAL = "1s"
POLL_SECONDS = 0.2


class PrometheusTimeoutError(AssertionError):
    """Prometheus did not get ready, or the data did not arrive, in time."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scrape_config(job: str, namespace: str, exporter: str, tracks: list[str]) -> dict[str, Any]:
    return {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL},
        "scrape_configs": [
            {
                "job_name": job,
                "static_configs": [
                    {
                        "targets": [exporter],
                        "labels": {
                            "__metrics_path__": f"/{track}/metrics",
                            "namespace": namespace,
                            METRIC_TRACK_LABEL: track,
                        },
                    }
                    for track in tracks
                ],
            }
        ],
    }


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read().decode()) if response.status == 200 else None


def wait_for(
    what: str, check: Callable[[], bool], deadline: float, process: subprocess.Popen[bytes]
) -> None:
    """Poll `check` until it holds; fail once Prometheus exits or the deadline passes."""
    while True:
        if process.poll() is not None:
            raise PrometheusTimeoutError(f"prometheus exited ({process.returncode}) before {what}")
        try:
            if check():
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise PrometheusTimeoutError(f"timed out waiting for {what}")
        time.sleep(POLL_SECONDS)


class Running:
    def __init__(self, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url = url
        self.process = process
        self.log = log

    def query(self, expr: str) -> float | None:
        params = urllib.parse.urlencode({"query": expr})
        data = _get(f"{self.url}/api/v1/query?{params}")["data"]["result"]
        return float(data[0]["value"][1]) if data else None

    def wait_until(self, what: str, check: Callable[[Running], bool], timeout: float) -> None:
        wait_for(what, lambda: check(self), time.monotonic() + timeout, self.process)


@contextmanager
def prometheus(tmp: Path, config: dict[str, Any], timeout: float = 60) -> Iterator[Running]:
    """Start Prometheus on a free port, wait until it is ready and every target is up."""
    assert BINARY is not None
    port = _free_port()
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(config, sort_keys=True))
    log = tmp / "prometheus.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                BINARY,
                f"--config.file={tmp / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    running = Running(url, process, log)
    try:
        deadline = time.monotonic() + timeout
        wait_for("/-/ready", lambda: _ready(url), deadline, process)
        expected = sum(len(job["static_configs"]) for job in config["scrape_configs"])
        wait_for("every target up", lambda: _targets_up(url, expected), deadline, process)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _ready(url: str) -> bool:
    with urllib.request.urlopen(f"{url}/-/ready", timeout=5) as response:
        return bool(response.status == 200)


def _targets_up(url: str, expected: int) -> bool:
    active = _get(f"{url}/api/v1/targets?state=active")["data"]["activeTargets"]
    return len(active) == expected and all(t["health"] == "up" for t in active)
