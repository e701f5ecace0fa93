"""Offline preview timings on this machine: the import floor, each stack, peak memory.

Prints medians of RUNS fresh processes. Targets are read here, never asserted in tests:
a prod preview within 1.3x the import floor.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
TARGET_RATIO = 1.3
# The SDK classes the program declares. The SDKs load submodules lazily, on first attribute
# access, so the floor touches each class: the cost no preview of this program can avoid.
IMPORTS = (
    "import pulumi, pulumi_gcp as gcp, pulumi_kubernetes as k8s, pulumi_docker_build;"
    "import pulumi_policy;"
    "gcp.compute.Network, gcp.compute.Subnetwork, gcp.container.Cluster,"
    " gcp.container.NodePool, gcp.serviceaccount.Account, gcp.projects.IAMMember,"
    " gcp.artifactregistry.Repository, gcp.artifactregistry.RepositoryIamMember,"
    " gcp.organizations.get_client_config;"
    "k8s.Provider, k8s.core.v1.Namespace, k8s.core.v1.Service, k8s.core.v1.ServiceAccount,"
    " k8s.apps.v1.Deployment, k8s.autoscaling.v2.HorizontalPodAutoscaler,"
    " k8s.policy.v1.PodDisruptionBudget, k8s.networking.v1.NetworkPolicy,"
    " k8s.apiextensions.CustomResource, pulumi_docker_build.Image"
)
MEASURE = (
    "import resource, subprocess, sys, time;"
    "t = time.perf_counter();"
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode;"
    "dt = time.perf_counter() - t;"
    "kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
    "print(dt, kb, rc)"
)


def measure(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    seconds, kilobytes, code = float(out[0]), float(out[1]), int(out[2])
    if code not in (0, 1):
        raise SystemExit(f"bench: {' '.join(command)} exited {code}")
    return seconds, kilobytes / 1024


def median_of(command: list[str]) -> tuple[float, float]:
    samples = [measure(command) for _ in range(RUNS)]
    return statistics.median(s for s, _ in samples), max(m for _, m in samples)


def main() -> None:
    python = sys.executable
    servestack = [python, "-m", "infra.cli.app", "preview", "--offline"]
    floor, floor_mem = median_of([python, "-c", IMPORTS])
    print(f"median of {RUNS} runs, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"{'what':<28}{'seconds':>9}{'x floor':>9}{'peak MiB':>10}")
    print(f"{'import floor':<28}{floor:>9.2f}{1.0:>9.2f}{floor_mem:>10.0f}")
    from infra.preview.stackfile import available_stacks

    ratios: dict[str, float] = {}
    for stack in available_stacks(ROOT):
        seconds, memory = median_of([*servestack, "--stack", stack])
        ratios[stack] = seconds / floor
        print(f"{'preview ' + stack:<28}{seconds:>9.2f}{ratios[stack]:>9.2f}{memory:>10.0f}")
    seconds, memory = median_of([*servestack, "--all"])
    print(f"{'preview --all':<28}{seconds:>9.2f}{seconds / floor:>9.2f}{memory:>10.0f}")
    if "prod" in ratios:
        verdict = "met" if ratios["prod"] <= TARGET_RATIO else "missed"
        print(f"target: prod within {TARGET_RATIO}x the import floor: {verdict}")


if __name__ == "__main__":
    main()
