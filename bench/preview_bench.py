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


def medians(commands: dict[str, list[str]]) -> dict[str, tuple[float, float]]:
    """Median seconds and peak MiB per command over RUNS rounds of every command in turn.

    Interleaving rounds (rather than RUNS of one command, then the next) spreads a busy
    spell on a shared machine over all figures, so ratios from one run stay comparable.
    """
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(RUNS):
        for name, command in commands.items():
            samples[name].append(measure(command))
    return {
        name: (statistics.median(s for s, _ in got), max(m for _, m in got))
        for name, got in samples.items()
    }


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


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def target(what: str, ratio: float, limit: float) -> None:
    print(f"target: {what}: {ratio:.2f}x, {'met' if ratio <= limit else 'missed'}")


def main() -> None:
    python = sys.executable
    cli = [python, "-m", "infra.cli.app"]
    preview = [*cli, "preview", "--offline"]
    from infra.preview.stackfile import available_stacks

    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"{now}, commit {revision()}")
    version = sys.version.split()[0]
    print(f"median of {RUNS} fresh processes each, {os.cpu_count()} CPUs, Python {version}")
    print(f"load average before: {load()}")
    with tempfile.TemporaryDirectory(prefix="servestack-bench-") as tmp:
        modules = record_floor(["preview", "--offline", "--stack", "prod"], Path(tmp) / "m.json")
        commands = {
            "import floor (SDK classes)": [python, "-c", SDK_IMPORTS],
            "import floor (plan)": [python, "-c", IMPORT_MODULES, str(modules)],
            **{f"preview {s}": [*preview, "--stack", s] for s in available_stacks(ROOT)},
            "preview --all": [*preview, "--all"],
            "diff --base HEAD --all": [*cli, "diff", "--base", "HEAD", "--all"],
        }
        counts: dict[int, int] = {}
        for size in FLEET_SIZES:
            path = write_fleet(ROOT, Path(tmp), size)
            command = [*preview, "--stack", TEMPLATE_STACK, "--stack-file", str(path)]
            counts[size] = resource_count(command, Path(tmp) / f"{size}.json")
            commands[f"{size} servers"] = command
        got = medians(commands)

    print(f"load average after: {load()} (other work on the machine inflates every figure)")
    floor = got["import floor (plan)"][0]
    print(f"{'what':<30}{'seconds':>9}{'x floor':>9}{'peak MiB':>10}")
    for name, (seconds, memory) in got.items():
        if not name.endswith(" servers"):
            print(f"{name:<30}{seconds:>9.2f}{seconds / floor:>9.2f}{memory:>10.0f}")

    print()
    print(f"scale series: stack {TEMPLATE_STACK}, N copies of its tiny server (generated)")
    print(f"{'servers':>8}{'resources':>11}{'seconds':>9}{'x 1 server':>12}{'peak MiB':>10}")
    one = got[f"{FLEET_SIZES[0]} servers"][0]
    for size in FLEET_SIZES:
        seconds, memory = got[f"{size} servers"]
        print(f"{size:>8}{counts[size]:>11}{seconds:>9.2f}{seconds / one:>12.2f}{memory:>10.0f}")
    small, large = FLEET_SIZES[0], FLEET_SIZES[-1]
    slope = (got[f"{large} servers"][0] - one) / (counts[large] - counts[small]) * 1000
    print(f"per-resource cost: {slope:.2f} ms (slope from {small} to {large} servers)")

    print()
    target(
        f"{large} servers within {SCALE_TARGET}x {small} server",
        got[f"{large} servers"][0] / one,
        SCALE_TARGET,
    )
    if "preview prod" in got:
        prod = got["preview prod"][0]
        target(f"prod within {FLOOR_TARGET}x the plan import floor", prod / floor, FLOOR_TARGET)
        sdk_floor = got["import floor (SDK classes)"][0]
        print(f"        (against the SDK-classes floor: {prod / sdk_floor:.2f}x)")
        diff = got["diff --base HEAD --all"][0]
        target(f"diff --all within {DIFF_TARGET}x one prod preview", diff / prod, DIFF_TARGET)


if __name__ == "__main__":
    main()
