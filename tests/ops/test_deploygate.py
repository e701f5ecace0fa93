"""The checks a deploy job runs before `pulumi up`, and the worst-case duration of an up."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.config import ConfigError
from infra.images.baseimage import read_lock
from infra.ops.deploygate import require_pinned_bases, stack_bases, stack_facts
from infra.ops.worstcase import critical_path_minutes, duration_minutes
from infra.preview.stackfile import load_spec

ROOT = Path(__file__).resolve().parents[2]
DIGEST = "sha256:" + "ab" * 32
PROVIDER = "urn:pulumi:prod::servestack::pulumi:providers:kubernetes::k8s"


def _servestack(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.cli.app", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _project_with_lock(tmp_path: Path, lock: str) -> Path:
    root = tmp_path / "project"
    for name in ("Pulumi.yaml", "stacks", "model_images"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("published"))
        else:
            root.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, root / name)
    (root / "model_images" / "base-images.lock").write_text(lock, encoding="utf-8")
    return root


# --------------------------------------------------------------------- facts


def test_facts_are_github_output_lines_of_the_stack_file() -> None:
    spec = load_spec(ROOT, "prod")
    text = stack_facts(spec, spec.gcp_project).github_output()
    assert text == (
        "project=acme-ml-serving-prod\ncluster=serve-prod\nlocation=europe-west4\n"
        "namespace=serving\nservers=inception resnet\n"
    )


def test_facts_refuse_a_project_other_than_the_jobs_in_one_line() -> None:
    result = _servestack("ci", "facts", "--stack", "staging", "--project", "elsewhere", cwd=ROOT)
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("servestack: stacks/Pulumi.staging.yaml: gcp:project: ")
    assert "GCP_PROJECT_STAGING" in line and "Traceback" not in result.stderr


def test_facts_refuse_a_stack_without_a_cluster() -> None:
    with pytest.raises(ConfigError, match="servestack:cluster"):
        stack_facts(load_spec(ROOT, "local"), "anything")


# ---------------------------------------------------------------- base images


def test_prod_builds_on_the_cpu_and_the_gpu_base() -> None:
    bases = stack_bases(load_spec(ROOT, "prod"), {})
    assert [b.name for b in bases] == ["tensorflow/serving:2.19.1", "tensorflow/serving:2.19.1-gpu"]


def test_the_committed_lock_stops_prod_until_the_pinning_pull_request_is_merged() -> None:
    lock = read_lock(ROOT)
    if all(digest is not None for digest in lock.values()):
        pytest.skip("the committed lock is pinned")
    result = _servestack("ci", "base-images", "--stack", "prod", "--require-pinned", cwd=ROOT)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(
        "servestack: stacks/Pulumi.prod.yaml: servestack:images.tfServingVersion:"
    )
    assert "base-images workflow" in line


def test_a_pinned_lock_lets_every_stack_through(tmp_path: Path) -> None:
    lock = f"tensorflow/serving:2.19.1 {DIGEST}\ntensorflow/serving:2.19.1-gpu {DIGEST}\n"
    root = _project_with_lock(tmp_path, lock)
    result = _servestack(
        "ci", "base-images", "--stack", "prod", "--require-pinned", "--root", str(root), cwd=root
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"prod: tensorflow/serving:2.19.1@{DIGEST}",
        f"prod: tensorflow/serving:2.19.1-gpu@{DIGEST}",
    ]


def test_one_unpinned_base_is_enough_to_refuse(tmp_path: Path) -> None:
    spec = load_spec(ROOT, "prod")
    lock = {"tensorflow/serving:2.19.1": DIGEST, "tensorflow/serving:2.19.1-gpu": None}
    with pytest.raises(ConfigError, match=r"2\.19\.1-gpu has no digest"):
        require_pinned_bases(spec, lock, always=False)


def test_a_stack_that_allows_unpinned_bases_passes_unless_pinning_is_required() -> None:
    local = load_spec(ROOT, "local")
    assert local.images.allow_unpinned_base
    assert [b.pinned for b in require_pinned_bases(local, {}, always=False)] == [False]
    with pytest.raises(ConfigError):
        require_pinned_bases(local, {}, always=True)


# ---------------------------------------------------------------- worst case


def _resource(urn: str, **options: Any) -> dict[str, Any]:
    parent = options.pop("parent", "")
    provider = options.pop("provider", "")
    return {"urn": urn, "parent": parent, "provider": provider, "options": options}


def test_durations_in_go_syntax() -> None:
    assert duration_minutes("45m") == 45
    assert duration_minutes("1h30m") == 90
    assert duration_minutes("90s") == 1.5
    for bad in ("", "45", "m", "45x", "1h 30m"):
        with pytest.raises(ValueError):
            duration_minutes(bad)


def test_a_chain_adds_up_parallel_branches_take_the_longest() -> None:
    plan = [
        _resource("a", customTimeouts={"create": "45m", "update": "60m"}),
        _resource("b", dependencies=["a"], customTimeouts={"create": "30m"}),
        _resource("c", dependencies=["a"], customTimeouts={"update": "10m"}),
        _resource("d", dependencies=["b", "c"], customTimeouts={"update": "100m"}),
    ]
    assert critical_path_minutes(plan) == 60 + 30 + 100


def test_providers_and_components_carry_their_dependencies() -> None:
    plan = [
        _resource("comp"),
        _resource("pool", parent="comp", customTimeouts={"update": "60m"}),
        # Depending on a component waits for its children.
        _resource(PROVIDER, dependencies=["comp"]),
        # A provider reference names the provider's urn and its id.
        _resource("dep", provider=f"{PROVIDER}::04da6b54", customTimeouts={"update": "20m"}),
    ]
    assert critical_path_minutes(plan) == 80


def test_the_longest_delete_comes_on_top_unless_the_resource_is_retained() -> None:
    cluster = {"update": "60m", "delete": "90m"}
    pool = {"update": "60m", "delete": "30m"}
    plan = [
        _resource("cluster", retainOnDelete=True, customTimeouts=cluster),
        _resource("pool", dependencies=["cluster"], customTimeouts=pool),
    ]
    assert critical_path_minutes(plan) == 60 + 60 + 30


def test_no_timeouts_no_minutes() -> None:
    assert critical_path_minutes([_resource("a"), _resource("b", dependencies=["a"])]) == 0
    assert critical_path_minutes([]) == 0


def test_the_worst_case_command_prints_the_figure_the_readme_gives() -> None:
    result = _servestack("ci", "worst-case", "--stack", "prod", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "prod: worst-case pulumi up 303 min\n"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "= 303 min" in readme
