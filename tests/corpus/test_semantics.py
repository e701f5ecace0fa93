"""The semantics corpus: for each GKE or Pulumi rule servestack enforces, a stack file that
breaks it and the one line it ends in (or the plan option it produces).

Each case is a shipped stack file with one change, written out as a real stack file and read
the way `servestack preview` reads it. docs/gke-rules.md lists the same rules with sources.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config import ConfigError, StackSpec
from infra.preview.stackfile import load_config_spec, read_stack_config
from tests.platform.conftest import run_platform

ROOT = Path(__file__).resolve().parents[2]
Config = dict[str, Any]


def _base(stack: str) -> dict[str, Any]:
    text = (ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8")
    return copy.deepcopy(yaml.safe_load(text))


def _write(tmp_path: Path, name: str, stack: str, change: Callable[[Config], None]) -> Path:
    document = _base(stack)
    change(document["config"])
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def _load(path: Path, stack: str) -> StackSpec:
    return load_config_spec(read_stack_config(ROOT, stack, path))


def _cluster(c: Config) -> Config:
    cluster: Config = c["servestack:cluster"]
    return cluster


def _pool(c: Config, index: int) -> Config:
    pool: Config = c["servestack:nodePools"][index]
    return pool


def _set(target: Config, key: str, value: Any) -> None:
    target[key] = value


def _exclusions(*spans: tuple[str, str]) -> list[dict[str, str]]:
    return [
        {"name": f"freeze-{i}", "start": start, "end": end, "scope": "NO_UPGRADES"}
        for i, (start, end) in enumerate(spans)
    ]


def _move_dev(c: Config) -> None:
    c["gcp:region"] = "us-west1"
    _cluster(c)["location"] = "us-west1-c"


_METRIC = {
    "type": "Pods",
    "name": "prometheus.googleapis.com|:tensorflow:serving:request_count|counter",
    "targetAverageValue": "40",
}

GKE_DOCS = (
    "https://cloud.google.com/kubernetes-engine/docs/concepts/maintenance-windows-and-exclusions"
)

CASES: list[tuple[str, str, Callable[[Config], None], str]] = [
    (
        "maintenance-under-48h",
        "staging",
        lambda c: _set(_cluster(c)["maintenance"], "recurrence", "FREQ=WEEKLY;BYDAY=MO,TU"),
        "servestack:cluster.maintenance.recurrence: leaves 32 h of maintenance availability "
        "in the worst 32-day window (stretches of at least 4 h); GKE requires at least 48 h "
        f"({GKE_DOCS})",
    ),
    (
        "maintenance-short-stretches",
        "staging",
        lambda c: _cluster(c)["maintenance"].update(
            {"end": "2026-01-05T04:00:00Z", "recurrence": "FREQ=DAILY"}
        ),
        "servestack:cluster.maintenance.recurrence: leaves 0 h of maintenance availability "
        "in the worst 32-day window (stretches of at least 4 h); GKE requires at least 48 h "
        f"({GKE_DOCS})",
    ),
    (
        "maintenance-unsupported-rule",
        "staging",
        lambda c: _set(_cluster(c)["maintenance"], "recurrence", "FREQ=MONTHLY;BYMONTHDAY=1"),
        "servestack:cluster.maintenance.recurrence: servestack checks FREQ=DAILY or "
        "FREQ=WEEKLY rules with BYDAY/INTERVAL only (got 'FREQ=MONTHLY;BYMONTHDAY=1')",
    ),
    (
        "exclusion-too-long",
        "prod",
        lambda c: _set(
            _cluster(c)["maintenance"],
            "exclusions",
            _exclusions(("2026-12-01T00:00:00Z", "2027-01-05T00:00:00Z")),
        ),
        "servestack:cluster.maintenance.exclusions[0].end: a NO_UPGRADES exclusion lasts at "
        "most 30 days (got 35 days)",
    ),
    (
        "too-many-no-upgrades-exclusions",
        "prod",
        lambda c: _set(
            _cluster(c)["maintenance"],
            "exclusions",
            _exclusions(
                ("2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z"),
                ("2026-04-01T00:00:00Z", "2026-04-02T00:00:00Z"),
                ("2026-05-01T00:00:00Z", "2026-05-02T00:00:00Z"),
                ("2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z"),
            ),
        ),
        "servestack:cluster.maintenance.exclusions: 4 NO_UPGRADES exclusions; GKE allows 3",
    ),
    (
        "t4-count-three",
        "dev",
        lambda c: _set(_pool(c, 1)["gpu"], "count", 3),
        "servestack:nodePools[1].gpu.count: n1 with nvidia-tesla-t4 takes 1, 2, 4 GPUs (got 3)",
    ),
    (
        "g2-with-two-l4",
        "prod",
        lambda c: _set(_pool(c, 1)["gpu"], "count", 2),
        "servestack:nodePools[1].gpu.count: g2-standard-8 comes with 1 nvidia-l4 (got 2)",
    ),
    (
        "l4-on-n1",
        "prod",
        lambda c: _set(_pool(c, 1), "machineType", "n1-standard-8"),
        "servestack:nodePools[1].gpu.type: nvidia-l4 needs machine type g2-*, not n1-standard-8",
    ),
    (
        "t4-where-none-is-offered",
        "dev",
        _move_dev,
        "servestack:nodePools[1].gpu.type: nvidia-tesla-t4 is not offered in us-west1-c "
        "(table of 2026-12-01, https://cloud.google.com/compute/docs/gpus/gpu-regions-zones); "
        "override with cluster.acceleratorZones",
    ),
    (
        "pool-name-too-long",
        "dev",
        lambda c: _set(_pool(c, 0), "name", "a" * 34),
        "servestack:nodePools[0].name: at most 33 characters: the GKE pool name appends a "
        f"7-character settings hash and GKE allows 40 ('{'a' * 34}')",
    ),
    (
        "node-label-key",
        "prod",
        lambda c: _set(_pool(c, 0), "labels", {"bad key": "x"}),
        "servestack:nodePools[0].labels.bad key: Kubernetes label keys are [prefix/]name: a "
        "DNS subdomain prefix and a name of at most 63 alphanumerics, - _ .",
    ),
    (
        "services-inside-pods",
        "staging",
        lambda c: _set(_cluster(c)["network"], "servicesCidr", "10.53.0.0/20"),
        "servestack:cluster.network.servicesCidr: 10.53.0.0/20 overlaps podsCidr 10.52.0.0/14; "
        "GKE needs disjoint node, pod, service and control-plane ranges",
    ),
    (
        "pods-with-host-bits",
        "staging",
        lambda c: _set(_cluster(c)["network"], "podsCidr", "10.42.0.0/14"),
        "servestack:cluster.network.podsCidr: 10.42.0.0/14 has host bits set: the range is "
        "10.40.0.0/14",
    ),
    (
        "master-not-28",
        "staging",
        lambda c: _set(_cluster(c)["private"], "masterCidr", "172.16.0.0/24"),
        "servestack:cluster.private.masterCidr: must be a /28 (got 172.16.0.0/24)",
    ),
    (
        "master-inside-subnet",
        "staging",
        lambda c: _set(_cluster(c)["private"], "masterCidr", "10.40.0.16/28"),
        "servestack:cluster.private.masterCidr: 10.40.0.16/28 overlaps subnetCidr 10.40.0.0/20; "
        "GKE needs disjoint node, pod, service and control-plane ranges",
    ),
    (
        "custom-metric-on-the-local-stack",
        "local",
        lambda c: _set(c["servestack:servers"][0].setdefault("autoscaling", {}), "metric", _METRIC),
        "servestack:servers[0].autoscaling.metric: nothing can serve custom.metrics.k8s.io, "
        "which this HPA reads: a local stack has no Managed Prometheus, and the metrics adapter "
        "reads Managed Prometheus with Workload Identity "
        "(https://cloud.google.com/stackdriver/docs/managed-prometheus/hpa); scale on "
        "targetCpuUtilization instead",
    ),
    (
        "custom-metric-without-managed-prometheus",
        "dev",
        lambda c: (
            _set(_cluster(c), "managedPrometheus", False),
            _set(
                c["servestack:servers"][0]["autoscaling"], "metric", {**_METRIC, "type": "External"}
            ),
        ),
        "servestack:servers[0].autoscaling.metric: nothing can serve external.metrics.k8s.io, "
        "which this HPA reads: cluster.managedPrometheus is off, and the metrics adapter reads "
        "Managed Prometheus with Workload Identity "
        "(https://cloud.google.com/stackdriver/docs/managed-prometheus/hpa); scale on "
        "targetCpuUtilization instead",
    ),
    (
        "custom-metric-not-as-the-adapter-names-it",
        "prod",
        lambda c: _set(
            c["servestack:servers"][0]["autoscaling"], "metric", {**_METRIC, "name": "rps"}
        ),
        "servestack:servers[0].autoscaling.metric.name: the metrics adapter serves a Managed "
        "Prometheus metric as prometheus.googleapis.com|<metric>|<kind> (got 'rps')",
    ),
    (
        "create-before-delete-over-budget",
        "staging",
        lambda c: _set(_pool(c, 1), "replacement", "createBeforeDelete"),
        "servestack:nodePools[1].replacement: createBeforeDelete needs 6 GPUs during the swap "
        "(3 of all pools + 3 of the new pool), more than servestack:gpuBudget 4; use "
        "deleteBeforeCreate or auto",
    ),
    (
        "cache-in-the-image-repository",
        "prod",
        lambda c: _set(c["servestack:registry"], "buildCache", {"repository": "serving-models"}),
        "servestack:registry.buildCache.repository: must differ from repository: the cache "
        "rewrites its tags, which an image repository with immutable tags rejects",
    ),
]


@pytest.mark.parametrize(("name", "stack", "change", "expected"), CASES, ids=[c[0] for c in CASES])
def test_broken_stack_file_ends_in_its_one_line(
    tmp_path: Path, name: str, stack: str, change: Callable[[Config], None], expected: str
) -> None:
    path = _write(tmp_path, name, stack, change)
    with pytest.raises(ConfigError) as caught:
        _load(path, stack)
    assert str(caught.value) == f"{path}: {expected}"
    assert "\n" not in str(caught.value)


def test_the_table_is_overridable_in_the_stack_file(tmp_path: Path) -> None:
    def moved_with_override(c: Config) -> None:
        _move_dev(c)
        _cluster(c)["acceleratorZones"] = {"nvidia-tesla-t4": ["us-west1-c"]}

    spec = _load(_write(tmp_path, "override", "dev", moved_with_override), "dev")
    assert spec.cluster is not None and spec.cluster.location == "us-west1-c"


def test_the_cli_exits_2_with_the_one_line(tmp_path: Path) -> None:
    name, stack, change, expected = CASES[0]
    path = _write(tmp_path, name, stack, change)
    command = [sys.executable, "-m", "infra.cli.app", "preview", "--offline", "--stack", stack]
    result = subprocess.run(
        [*command, "--stack-file", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().replace("\n", " ") == f"{path}: {expected}"
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("stack", "change", "option", "said"),
    [
        # gpuBudget 4 < 3 + 3 GPUs: the pool goes first, and the plan says why.
        ("staging", lambda c: None, True, "delete-before-create: gpuBudget 4 cannot cover"),
        # gpuBudget 6 covers the overlap: the new pool is up before the old one goes.
        (
            "staging",
            lambda c: _set(c, "servestack:gpuBudget", 6),
            False,
            "create-before-delete: gpuBudget 6 covers the overlap",
        ),
        (
            "staging",
            lambda c: _set(_pool(c, 1), "replacement", "deleteBeforeCreate"),
            True,
            "chosen",
        ),
    ],
)
def test_replacement_order_is_a_plan_option(
    tmp_path: Path, stack: str, change: Callable[[Config], None], option: bool, said: str
) -> None:
    spec = _load(_write(tmp_path, "order", stack, change), stack)
    run = run_platform(spec)
    pool = run.by_name("platform-gpu-l4-pool")
    assert pool.options["deleteBeforeReplace"] is option
    assert said in run.outputs["nodePoolReplacements"]["gpu-l4"]
    cluster = run.by_name("platform-cluster-gke")
    assert cluster.options["deleteBeforeReplace"] is True
