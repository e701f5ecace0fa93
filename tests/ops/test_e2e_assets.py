"""The e2e workflow's helpers: the stack-file edits and the local cluster script's failures."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

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
    lines = file.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# yaml-language-server:") and lines[1].startswith("# Local:")


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
        "touch",
        "mkdir",
    ):
        found = shutil.which(name)
        if found and not (bin_dir / name).exists():
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


# Stand-ins for docker, kind and kubectl that keep their state in files and log every call,
# so the script's steps (kind's local-registry guide) and its idempotence can be checked.
_DOCKER = """
log() { echo "docker $*" >> "$STATE/calls"; }
case "$1" in
  info) exit 0 ;;
  inspect)
    if [ "$2" = -f ]; then
      case "$3" in
        *State.Running*) [ -f "$STATE/registry" ] && echo true || exit 1 ;;
        *Networks.kind*) [ -f "$STATE/connected" ] && echo '{"NetworkID":"n"}' || echo null ;;
      esac
    else
      [ -f "$STATE/registry" ] || exit 1
    fi ;;
  run) log "$@"; touch "$STATE/registry" ;;
  network) log "$@"; touch "$STATE/connected" ;;
  exec)
    log "$@"
    if [ "$2" = -i ]; then cat > "$STATE/hosts.toml"; fi ;;
  rm) log "$@"; rm -f "$STATE/registry" "$STATE/connected" ;;
  *) log "$@" ;;
esac
"""
_KIND = """
case "$1" in
  version) echo "kind v0.30.0 go1.24.6 linux/amd64" ;;
  get)
    if [ "$2" = clusters ]; then [ -f "$STATE/cluster" ] && echo servestack; true
    else echo servestack-control-plane; fi ;;
  create)
    echo "kind $*" >> "$STATE/calls"
    cat > "$STATE/kind-config.yaml"
    touch "$STATE/cluster" ;;
  delete) echo "kind $*" >> "$STATE/calls"; rm -f "$STATE/cluster" ;;
esac
"""
_KUBECTL = """
case "$*" in
  "version --client") echo "Client Version: v1.34.0" ;;
  *) echo "kubectl $*" >> "$STATE/calls"; cat > "$STATE/applied.yaml" ;;
esac
"""


def _stand_ins(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    state = tmp_path / "state"
    state.mkdir()
    tools = tmp_path / "tools"
    tools.mkdir()
    for name, body in (("kind", _KIND), ("kubectl", _KUBECTL)):
        (tools / name).write_text(f"#!/bin/sh\nSTATE={state}\n{body}", encoding="utf-8")
        (tools / name).chmod(0o755)
    return state, {"docker": f"STATE={state}\n{_DOCKER}"}


def _calls(state: Path) -> list[str]:
    path = state / "calls"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    path.unlink(missing_ok=True)
    return lines


def test_up_follows_the_local_registry_guide_and_a_second_run_creates_nothing(
    tmp_path: Path,
) -> None:
    state, tools = _stand_ins(tmp_path)
    first = _run_cluster(tmp_path, "up", tools=tools)
    assert first.returncode == 0, first.stderr
    calls = _calls(state)
    assert calls[0].startswith("docker run -d --restart=always -p 127.0.0.1:5001:5000 ")
    assert calls[0].endswith("--name kind-registry registry:3")
    assert calls[1].startswith(
        "kind create cluster --name servestack --image kindest/node:v1.34.0@sha256:"
    )
    assert "docker network connect kind kind-registry" in calls
    assert calls[-1] == "kubectl --context kind-servestack apply -f -"
    config = (state / "kind-config.yaml").read_text(encoding="utf-8")
    assert 'config_path = "/etc/containerd/certs.d"' in config
    assert (state / "hosts.toml").read_text(
        encoding="utf-8"
    ) == '[host."http://kind-registry:5000"]\n'
    assert (
        "docker exec servestack-control-plane mkdir -p /etc/containerd/certs.d/localhost:5001"
        in calls
    )
    applied = yaml.safe_load((state / "applied.yaml").read_text(encoding="utf-8"))
    assert applied["metadata"] == {"name": "local-registry-hosting", "namespace": "kube-public"}
    assert yaml.safe_load(applied["data"]["localRegistryHosting.v1"])["host"] == "localhost:5001"

    second = _run_cluster(tmp_path, "up", tools=tools)
    assert second.returncode == 0, second.stderr
    again = _calls(state)
    # Only the idempotent steps repeat: the node's registry file and the ConfigMap apply.
    assert not any(c.startswith(("docker run", "kind create", "docker network")) for c in again)
    assert again[-1] == "kubectl --context kind-servestack apply -f -"

    down = _run_cluster(tmp_path, "down", tools=tools)
    assert down.returncode == 0, down.stderr
    assert _calls(state) == ["kind delete cluster --name servestack", "docker rm -f kind-registry"]
    assert _run_cluster(tmp_path, "down", tools=tools).returncode == 0
    assert _calls(state) == []
