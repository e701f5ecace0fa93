"""Every kind of bad stack file ends in one line naming the file and the dotted key."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config import ConfigError
from infra.preview.stackfile import load_spec

ROOT = Path(__file__).resolve().parents[2]
Doc = dict[str, Any]


def _prod() -> Doc:
    return yaml.safe_load((ROOT / "stacks/Pulumi.prod.yaml").read_text())


def _cfg(doc: Doc) -> Doc:
    config: Doc = doc["config"]
    return config


def _server(doc: Doc, index: int = 0) -> Doc:
    server: Doc = _cfg(doc)["servestack:servers"][index]
    return server


def _pool(doc: Doc, index: int) -> Doc:
    pool: Doc = _cfg(doc)["servestack:nodePools"][index]
    return pool


Mutation = Callable[[Doc], None]

CASES: list[tuple[str, Mutation, str, str]] = [
    (
        "min-greater-than-max",
        lambda d: _server(d)["autoscaling"].update(min=7, max=6),
        "servestack:servers[0].autoscaling.min",
        "must be <= max (7 > 6)",
    ),
    (
        "unknown-key",
        lambda d: _server(d).update(autoscalling={"min": 1}),
        "servestack:servers[0].autoscalling",
        "unknown key; allowed:",
    ),
    (
        "unknown-top-level-key",
        lambda d: _cfg(d).update({"servestack:replicas": 3}),
        "servestack:replicas",
        "unknown key",
    ),
    (
        "unknown-namespace",
        lambda d: _cfg(d).update({"servestak:servers": []}),
        "servestak:servers",
        "unknown namespace 'servestak'",
    ),
    (
        "wrong-type",
        lambda d: _server(d)["autoscaling"].update(min="two"),
        "servestack:servers[0].autoscaling.min",
        "must be a valid integer",
    ),
    (
        "out-of-range",
        lambda d: _server(d)["autoscaling"].update(targetCpuUtilization=150),
        "servestack:servers[0].autoscaling.targetCpuUtilization",
        "less than or equal to 100",
    ),
    (
        "unknown-enum",
        lambda d: _cfg(d)["servestack:cluster"].update(releaseChannel="BETA"),
        "servestack:cluster.releaseChannel",
        "must be 'RAPID', 'REGULAR', 'STABLE', 'EXTENDED' or 'UNSPECIFIED'",
    ),
    (
        "missing-required",
        lambda d: _server(d)["models"][0].pop("versions"),
        "servestack:servers[0].models[0].versions",
        "required key is missing",
    ),
    (
        "duplicate-server",
        lambda d: _cfg(d)["servestack:servers"].append(copy.deepcopy(_server(d))),
        "servestack:servers[2].name",
        "duplicate server name 'inception'",
    ),
    (
        "duplicate-pool",
        lambda d: _cfg(d)["servestack:nodePools"].append(copy.deepcopy(_pool(d, 0))),
        "servestack:nodePools[2].name",
        "duplicate node pool name 'cpu'",
    ),
    (
        "unknown-gpu-type",
        lambda d: _pool(d, 1)["gpu"].update(type="nvidia-rtx-4090"),
        "servestack:nodePools[1].gpu.type",
        "unknown GPU type 'nvidia-rtx-4090'",
    ),
    (
        "gpu-on-wrong-machine-family",
        lambda d: _pool(d, 1).update(machineType="n1-standard-8"),
        "servestack:nodePools[1].gpu.type",
        "nvidia-l4 needs machine type g2-*",
    ),
    (
        "gpu-budget-below-pool-max",
        lambda d: _cfg(d).update({"servestack:gpuBudget": 4}),
        "servestack:nodePools[1].autoscaling.max",
        "more than servestack:gpuBudget 4",
    ),
    (
        "missing-model-pool",
        lambda d: _server(d).update(nodePool="gpu-a100"),
        "servestack:servers[0].nodePool",
        "unknown node pool 'gpu-a100'",
    ),
    (
        "label-not-a-version",
        lambda d: _server(d)["models"][0].update(versionLabels={"stable": 9}),
        "servestack:servers[0].models[0].versionLabels.stable",
        "version 9 is not in versions",
    ),
    (
        "bad-memory-quantity",
        lambda d: _server(d)["resources"].update(memory="8GB"),
        "servestack:servers[0].resources.memory",
        "invalid value '8GB'",
    ),
    (
        "bad-cidr",
        lambda d: _cfg(d)["servestack:cluster"]["network"].update(podsCidr="10.32.0.0"),
        "servestack:cluster.network.podsCidr",
        "invalid value '10.32.0.0'",
    ),
    (
        "gpus-on-cpu-pool",
        lambda d: _server(d, 1)["resources"].update(gpus=1),
        "servestack:servers[1].resources.gpus",
        "node pool 'cpu' has no GPU",
    ),
    (
        "missing-gcp-project",
        lambda d: _cfg(d).pop("gcp:project"),
        "gcp:project",
        "required for a GKE stack",
    ),
    (
        "cluster-outside-region",
        lambda d: _cfg(d)["servestack:cluster"].update(location="us-central1"),
        "servestack:cluster.location",
        "must be in gcp:region europe-west4",
    ),
    (
        "wrong-container-type",
        lambda d: _cfg(d).update({"servestack:servers": {"name": "x"}}),
        "servestack:servers",
        "must be a valid list",
    ),
    (
        "secret-where-none-allowed",
        lambda d: _cfg(d).update({"servestack:gpuBudget": {"secure": "AAABAJ0x"}}),
        "servestack:gpuBudget",
        "must not be a secure value",
    ),
    (
        "grace-shorter-than-pre-stop",
        lambda d: _server(d).update(rollout={"preStopSeconds": 60}),
        "servestack:servers[0].rollout.terminationGraceSeconds",
        "must be > preStopSeconds (45 <= 60)",
    ),
    (
        "node-ports-without-nodeport",
        lambda d: _cfg(d)["servestack:serving"].update(nodePorts={"grpc": 30500}),
        "servestack:serving.nodePorts",
        "only with expose: nodeport (expose is internal)",
    ),
    (
        "node-port-out-of-range",
        lambda d: _cfg(d)["servestack:serving"].update(expose="nodeport", nodePorts={"http": 8501}),
        "servestack:serving.nodePorts.http",
        "must be greater than or equal to 30000 (got 8501)",
    ),
    (
        "node-ports-clash",
        lambda d: _cfg(d)["servestack:serving"].update(
            expose="nodeport", nodePorts={"grpc": 30500, "http": 30500}
        ),
        "servestack:serving.nodePorts.http",
        "the same node port as grpc (30500)",
    ),
]


def _write(tmp_path: Path, doc: Doc) -> Path:
    (tmp_path / "stacks").mkdir(exist_ok=True)
    path = tmp_path / "stacks" / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.mark.parametrize(("case", "mutate", "key", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_names_file_and_key(
    tmp_path: Path, case: str, mutate: Mutation, key: str, fragment: str
) -> None:
    doc = _prod()
    mutate(doc)
    _write(tmp_path, doc)
    with pytest.raises(ConfigError) as caught:
        load_spec(tmp_path, "prod")
    error = caught.value
    line = str(error)
    assert "\n" not in line
    assert line.startswith(f"stacks/Pulumi.prod.yaml: {key}: "), line
    assert fragment in line, line


def test_at_least_fifteen_distinct_kinds() -> None:
    assert len({c[0] for c in CASES}) >= 15


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("config:\n  servestack:labels: {team: a\n", "malformed YAML: line"),
        ("config:\n\t- x\n", "malformed YAML"),
        ("- just\n- a list\n", "must be a mapping"),
        ("config: [1, 2]\n", "config: must be a mapping"),
        ("configs:\n  a: b\n", "configs: unknown top-level key"),
    ],
)
def test_malformed_files(tmp_path: Path, text: str, fragment: str) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_spec(tmp_path, "dev")
    assert str(caught.value).startswith("stacks/Pulumi.dev.yaml: ")
    assert fragment in str(caught.value)


def test_missing_stack_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"stacks/Pulumi.qa.yaml: stack file not found"):
        load_spec(tmp_path, "qa")
