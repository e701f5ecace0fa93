"""Offline preview timings on this machine, every figure and ratio from one run.

Each figure is the median wall time of RUNS fresh processes (peak RSS: their maximum).
Targets are read here, never asserted in tests:
- prod preview within 1.3x the import floor;
- a 100-server stack within 2x a 1-server stack (the scale series, generated at run time);
- `servestack diff --base HEAD --all` within 2.5x one prod preview.

Two floors are printed. The SDK-classes floor imports the SDK classes the program declares;
it misses modules the SDKs load lazily while a preview runs (output types such as
`pulumi_kubernetes.meta.v1`, the alias API versions of each Kubernetes kind) and the
libraries the CLI needs. The plan floor is measured instead: one prod preview records every
module it loaded, and the floor imports all of them except servestack's own packages. So
"x floor" is what this project's code and the SDK's per-resource work add to imports no
preview of this program can avoid.
"""

from __future__ import annotations

import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.fleet import TEMPLATE_STACK, write_fleet  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
FLEET_SIZES = (1, 10, 100)
FLOOR_TARGET = 1.3
SCALE_TARGET = 2.0
DIFF_TARGET = 2.5
# The SDK classes the program declares. The SDKs load submodules lazily, on first attribute
# access, so the floor touches each class.
SDK_IMPORTS = (
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
OWN_PACKAGES = ("infra", "policies", "model_images", "bench", "__main__")
RECORD_MODULES = (
    "import json, runpy, sys;"
    "out = sys.argv[1]; sys.argv = ['servestack', *sys.argv[2:]]\n"
    "try: runpy.run_module('infra.cli.app', run_name='__main__')\n"
    "except SystemExit: pass\n"
    "json.dump(list(sys.modules), open(out, 'w'))"
)
IMPORT_MODULES = (
    "import importlib, json, sys\n"
    "for name in json.load(open(sys.argv[1])):\n"
    "    try: importlib.import_module(name)\n"
    "    except Exception: pass"
)
MEASURE = (
    "import resource, subprocess, sys, time;"
    "t = time.perf_counter();"
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,"
    " stderr=subprocess.DEVNULL).returncode;"
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


def record_floor(preview_args: list[str], out: Path) -> Path:
    """The modules one preview loads, minus servestack's own: the plan floor's import list."""
    subprocess.run(
        [sys.executable, "-c", RECORD_MODULES, str(out), *preview_args],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    names = json.loads(out.read_text(encoding="utf-8"))
    keep = [n for n in names if n.split(".", 1)[0] not in OWN_PACKAGES]
    out.write_text(json.dumps(keep), encoding="utf-8")
    return out


def resource_count(preview: list[str], out: Path) -> int:
    """Resources in one (untimed) plan of the same command."""
    subprocess.run([*preview, "--json", str(out)], cwd=ROOT, capture_output=True, check=False)
    return len(json.loads(out.read_text(encoding="utf-8"))["resources"])


def revision() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False
        ).stdout.strip()

    dirty = "+changes" if git("status", "--porcelain", "--untracked-files=no") else ""
    return f"{git('rev-parse', '--short', 'HEAD')}{dirty}"


def target(what: str, ratio: float, limit: float) -> None:
    print(f"target: {what}: {ratio:.2f}x, {'met' if ratio <= limit else 'missed'}")


def row(what: str, seconds: float, floor: float, memory: float) -> None:
    print(f"{what:<30}{seconds:>9.2f}{seconds / floor:>9.2f}{memory:>10.0f}")


def main() -> None:
    python = sys.executable
    preview = [python, "-m", "infra.cli.app", "preview", "--offline"]
    from infra.preview.stackfile import available_stacks

    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"{now}, commit {revision()}")
    version = sys.version.split()[0]
    print(f"median of {RUNS} fresh processes each, {os.cpu_count()} CPUs, Python {version}")
    print(f"{'what':<30}{'seconds':>9}{'x floor':>9}{'peak MiB':>10}")
    sdk_floor, sdk_memory = median_of([python, "-c", SDK_IMPORTS])
    with tempfile.TemporaryDirectory(prefix="servestack-bench-") as tmp:
        modules = record_floor(["preview", "--offline", "--stack", "prod"], Path(tmp) / "m.json")
        floor, floor_memory = median_of([python, "-c", IMPORT_MODULES, str(modules)])
    row("import floor (SDK classes)", sdk_floor, floor, sdk_memory)
    row("import floor (plan)", floor, floor, floor_memory)
    seconds: dict[str, float] = {}
    for stack in available_stacks(ROOT):
        seconds[stack], memory = median_of([*preview, "--stack", stack])
        row(f"preview {stack}", seconds[stack], floor, memory)
    every, memory = median_of([*preview, "--all"])
    row("preview --all", every, floor, memory)
    diff, memory = median_of([python, "-m", "infra.cli.app", "diff", "--base", "HEAD", "--all"])
    row("diff --base HEAD --all", diff, floor, memory)

    print()
    print(f"scale series: stack {TEMPLATE_STACK}, N copies of its tiny server (generated)")
    print(f"{'servers':>8}{'resources':>11}{'seconds':>9}{'x 1 server':>12}{'peak MiB':>10}")
    fleet: dict[int, tuple[int, float]] = {}
    with tempfile.TemporaryDirectory(prefix="servestack-bench-") as tmp:
        for size in FLEET_SIZES:
            path = write_fleet(ROOT, Path(tmp), size)
            command = [*preview, "--stack", TEMPLATE_STACK, "--stack-file", str(path)]
            count = resource_count(command, Path(tmp) / f"{size}.json")
            elapsed, memory = median_of(command)
            fleet[size] = (count, elapsed)
            print(
                f"{size:>8}{count:>11}{elapsed:>9.2f}{elapsed / fleet[1][1]:>12.2f}{memory:>10.0f}"
            )
    (small, t_small), (large, t_large) = fleet[FLEET_SIZES[0]], fleet[FLEET_SIZES[-1]]
    per_resource = (t_large - t_small) / (large - small) * 1000
    print(f"per-resource cost: {per_resource:.2f} ms (slope from 1 to 100 servers)")

    print()
    target(f"100 servers within {SCALE_TARGET}x 1 server", t_large / t_small, SCALE_TARGET)
    if "prod" in seconds:
        prod = seconds["prod"]
        target(f"prod within {FLOOR_TARGET}x the plan import floor", prod / floor, FLOOR_TARGET)
        print(f"        (against the SDK-classes floor: {prod / sdk_floor:.2f}x)")
        target(f"diff --all within {DIFF_TARGET}x one prod preview", diff / prod, DIFF_TARGET)


if __name__ == "__main__":
    main()
