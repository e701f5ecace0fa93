"""The e2e workflow's helpers: the stack-file edits and the local cluster script's failures."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.preview.engine import run_offline
from infra.preview.stackfile import load_spec

ROOT = Path(__file__).resolve().parents[2]
EDIT = ROOT / "scripts" / "e2e" / "edit_local_stack.py"
CLUSTER = ROOT / "scripts" / "local-cluster.sh"
LOOP_NAMESPACE = "servestack-e2e"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "stacks").mkdir()
    shutil.copy(ROOT / "stacks" / "Pulumi.local.yaml", tmp_path / "stacks")
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path)
    return tmp_path


def _edit(tree: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EDIT), "--root", str(tree), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _deployments(plan: Any) -> dict[str, Any]:
    return {
        r.inputs["metadata"]["name"]: r.inputs
        for r in plan.resources
        if r.type == "kubernetes:apps/v1:Deployment"
    }


def test_the_edits_the_workflow_makes_give_the_plans_it_checks(tree: Path) -> None:
    from infra.serving.labels import deployment_name

    file = tree / "stacks" / "Pulumi.local.yaml"
    assert _edit(tree, "allow-namespace", LOOP_NAMESPACE).returncode == 0
    assert _edit(tree, "canary", "tiny", "2", "50").returncode == 0
    spec = load_spec(tree, "local")
    server = spec.servers[0]
    assert spec.serving.allow_from.namespaces == [LOOP_NAMESPACE]
    assert server.canary is not None and server.canary.version == 2

    plan = run_offline(ROOT, "local", stack_file=file, with_policies=False)
    names = _deployments(plan)
    assert set(names) == {deployment_name(server, "stable"), deployment_name(server, "canary")}
    policy = next(
        r.inputs
        for r in plan.resources
        if r.type == "kubernetes:networking.k8s.io/v1:NetworkPolicy" and r.name == "tiny-allow"
    )
    peers = policy["spec"]["ingress"][0]["from"]
    assert {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": LOOP_NAMESPACE}}
    } in peers

    assert _edit(tree, "no-canary", "tiny").returncode == 0
    assert _edit(tree, "versions", "tiny", "2").returncode == 0
    spec = load_spec(tree, "local")
    assert spec.servers[0].canary is None
    assert spec.servers[0].models[0].versions == [2]
    plan = run_offline(ROOT, "local", stack_file=file, with_policies=False)
    assert set(_deployments(plan)) == {"tiny"}
    # The header comment survives the round trip.
    assert file.read_text(encoding="utf-8").startswith("# Local:")


def test_an_edit_that_makes_a_bad_stack_file_fails_in_one_line(tree: Path) -> None:
    result = _edit(tree, "canary", "tiny", "1", "50")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "canary" in result.stderr and "stacks/Pulumi.local.yaml" in result.stderr


def _run_cluster(
    tmp_path: Path, *args: str, tools: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """The script with a PATH holding only basic tools and the given stand-ins."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name in (
        "bash",
        "uname",
        "tr",
        "cut",
        "grep",
        "mktemp",
        "cat",
        "dirname",
        "chmod",
        "mv",
        "rm",
        "mkdir",
    ):
        found = shutil.which(name)
        if found:
            (bin_dir / name).symlink_to(found)
    for name, body in tools.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
        (bin_dir / name).chmod(0o755)
    env = {"PATH": str(bin_dir), "SERVESTACK_TOOLS": str(tmp_path / "tools"), "HOME": str(tmp_path)}
    return subprocess.run(
        [str(bin_dir / "bash"), str(CLUSTER), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_the_cluster_script_says_in_one_line_that_docker_is_missing(tmp_path: Path) -> None:
    result = _run_cluster(tmp_path, "up", tools={})
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "local-cluster: docker not found; install Docker "
        "(https://docs.docker.com/get-docker/) and retry"
    ]


def test_the_cluster_script_says_in_one_line_that_kind_is_missing(tmp_path: Path) -> None:
    # A docker that answers `docker info`, no kind anywhere and no way to download it.
    result = _run_cluster(tmp_path, "up", tools={"docker": "exit 0"})
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "local-cluster: kind not found and not downloadable; install kind v0.30.0"
    )


def test_the_cluster_script_refuses_a_download_whose_checksum_differs(tmp_path: Path) -> None:
    # curl stand-in: the binary is one thing, the published checksum another.
    curl = 'case "$*" in *sha256*) echo 0000 ;; *) printf x > "$5" ;; esac'
    sha = "echo 1111  $1"
    result = _run_cluster(tmp_path, "tools", tools={"curl": curl, "sha256sum": sha})
    assert result.returncode == 1
    assert "checksum mismatch" in result.stderr
    assert not (tmp_path / "tools" / "kind").exists()


def test_the_cluster_script_names_its_usage(tmp_path: Path) -> None:
    result = _run_cluster(tmp_path, "sideways", tools={})
    assert result.returncode == 2
    assert "usage:" in result.stderr
