"""The GitOps path read as a reviewer would: what deploy.yml does before, during and after
`pulumi up`, how long it may take, which variables every workflow reads, how CI reaches the
clusters, and how the base images get pinned."""

from __future__ import annotations

import json
import math
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.ops.worstcase import critical_path_minutes
from infra.preview.stackfile import load_spec

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
DEPLOYED = ("dev", "staging", "prod")

# The one pulumi/actions release every workflow uses (v7.0.0; upsert, cloud-url and
# secrets-provider are inputs of its action.yml at this commit).
PULUMI_ACTION = "pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d"

# What a deploy job spends outside `pulumi up`: checkout, two installs, the model fetch, the
# checks (SETUP); per server, the rollout check `pulumi up` already waited for and one
# Predict over a port-forward (SMOKE_PER_SERVER). GitHub-hosted jobs end at 6 hours
# (https://docs.github.com/actions/reference/limits#existing-system-limits).
SETUP_MINUTES = 15
SMOKE_PER_SERVER_MINUTES = 7
HOSTED_JOB_LIMIT_MINUTES = 360

# The variables the day-0 bootstrap outputs, as every workflow must read them.
CONTRACT = {
    "GCP_WORKLOAD_IDENTITY_PROVIDER",
    "GCP_PREVIEWER_SA",
    "GCP_DRIFT_SA",
    "PULUMI_BACKEND_URL",
    *(f"GCP_PROJECT_{s.upper()}" for s in DEPLOYED),
    *(f"GCP_DEPLOYER_SA_{s.upper()}" for s in DEPLOYED),
    *(f"PULUMI_SECRETS_PROVIDER_{s.upper()}" for s in DEPLOYED),
}


def _load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _deploy_jobs() -> dict[str, Any]:
    jobs: dict[str, Any] = _load(WORKFLOWS / "deploy.yml")["jobs"]
    return jobs


def _index(steps: list[dict[str, Any]], predicate: Any) -> int:
    found = [i for i, step in enumerate(steps) if predicate(step)]
    assert len(found) == 1, found
    return found[0]


def _uses(prefix: str) -> Any:
    return lambda step: str(step.get("uses", "")).startswith(prefix)


def _runs(text: str) -> Any:
    return lambda step: text in str(step.get("run", ""))


# --------------------------------------------------------------------- deploy.yml


@pytest.mark.parametrize("stack", DEPLOYED)
def test_deploy_checks_fetches_then_ups_then_smokes(stack: str) -> None:
    job = _deploy_jobs()[stack]
    steps = job["steps"]
    env = stack.upper()
    assert job["env"] == {
        "STACK": stack,
        "GCP_PROJECT": f"${{{{ vars.GCP_PROJECT_{env} }}}}",
        "PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER": "true",
    }
    facts = _index(steps, _runs("servestack ci facts"))
    bases = _index(steps, _runs("servestack ci base-images"))
    auth = _index(steps, _uses("google-github-actions/auth@"))
    fetch = _index(steps, _runs("servestack models fetch"))
    up = _index(steps, _uses("pulumi/actions@"))
    creds = _index(steps, _runs("get-credentials"))
    smoke = _index(steps, _runs("servestack smoke"))
    # The credential-free checks first, so a bad stack stops before any cloud call.
    assert facts < bases < auth < fetch < up < creds < smoke
    assert steps[facts]["id"] == "facts"
    assert '--project "$GCP_PROJECT"' in steps[facts]["run"]
    assert steps[fetch]["run"] == '.venv/bin/servestack models fetch --stack "$STACK"'
    assert steps[auth]["with"]["service_account"] == f"${{{{ vars.GCP_DEPLOYER_SA_{env} }}}}"


def test_prod_requires_pinned_bases_whatever_its_stack_file_allows() -> None:
    for stack, job in _deploy_jobs().items():
        run = next(
            s["run"] for s in job["steps"] if "servestack ci base-images" in s.get("run", "")
        )
        assert ("--require-pinned" in run) == (stack == "prod"), stack


@pytest.mark.parametrize("stack", DEPLOYED)
def test_pulumi_up_creates_the_stack_with_its_policy_pack_backend_and_key(stack: str) -> None:
    step = next(s for s in _deploy_jobs()[stack]["steps"] if s.get("uses") == PULUMI_ACTION)
    env = stack.upper()
    assert step["with"] == {
        "command": "up",
        "stack-name": stack,
        "work-dir": ".",
        "pulumi-version": _e2e_pulumi_version(),
        "cloud-url": "${{ vars.PULUMI_BACKEND_URL }}",
        "secrets-provider": f"${{{{ vars.PULUMI_SECRETS_PROVIDER_{env} }}}}",
        "upsert": True,
        "policyPacks": "policies",
        "policyPackConfigs": f"policies/config/{stack}.json",
        "color": "never",
        "suppress-outputs": True,
    }
    assert (ROOT / "policies" / "config" / f"{stack}.json").is_file()


def _e2e_pulumi_version() -> str:
    steps = _load(WORKFLOWS / "e2e.yml")["jobs"]["local"]["steps"]
    version: str = next(s for s in steps if _uses("pulumi/actions@")(s))["with"]["pulumi-version"]
    return version


def test_every_workflow_uses_one_pinned_pulumi_action_and_cli() -> None:
    for path in FILES:
        for job in _load(path)["jobs"].values():
            for step in job.get("steps", []):
                if _uses("pulumi/actions@")(step):
                    assert step["uses"] == PULUMI_ACTION, path.name
                    assert step["with"]["pulumi-version"] == _e2e_pulumi_version(), path.name


def test_every_job_on_the_shared_backend_decrypts_with_the_states_kms_key() -> None:
    """A stack created on one runner has its encryptedkey in that runner's stack file only;
    every later job must take the secrets manager from the state, not mint a passphrase one
    (the fallback of https://github.com/pulumi/pulumi/pull/17236)."""
    for path in FILES:
        for name, job in _load(path)["jobs"].items():
            steps = job.get("steps", [])
            backend = [s for s in steps if "cloud-url" in s.get("with", {})]
            if not backend:
                continue
            assert job["env"]["PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER"] == "true", name
            for step in backend:
                assert step["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}", name
                provider = str(step["with"]["secrets-provider"])
                # drift.yml's matrix carries the variable (checked with the matrix).
                assert "PULUMI_SECRETS_PROVIDER_" in provider or (
                    provider == "${{ matrix.secrets-provider }}"
                ), name


def test_deploys_of_one_stack_never_overlap_and_run_in_order() -> None:
    jobs = _deploy_jobs()
    assert [jobs[s].get("needs") for s in DEPLOYED] == [None, "dev", "staging"]
    groups = [jobs[s]["concurrency"] for s in DEPLOYED]
    assert groups == [{"group": f"pulumi-{s}", "cancel-in-progress": False} for s in DEPLOYED]
    # No other workflow joins a deploy group: a queued run there would cancel a pending deploy.
    for path in FILES:
        if path.name == "deploy.yml":
            continue
        for job in _load(path)["jobs"].values():
            group = str(job.get("concurrency", {}).get("group", ""))
            assert not group.startswith("pulumi-"), (path.name, group)


def _plan(stack: str, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / f"{stack}.json"
    result = subprocess.run(
        [sys.executable, "-m", "infra.cli.app", "preview", "--offline", "--stack", stack,
         "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    plan: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return plan


@pytest.mark.parametrize("stack", DEPLOYED)
def test_job_timeout_covers_the_worst_case_up_setup_and_smoke(stack: str, tmp_path: Path) -> None:
    plan = _plan(stack, tmp_path)
    worst_up = critical_path_minutes(plan["resources"])
    servers = len(load_spec(ROOT, stack).servers)
    needed = math.ceil(worst_up) + SETUP_MINUTES + SMOKE_PER_SERVER_MINUTES * servers
    timeout = _deploy_jobs()[stack]["timeout-minutes"]
    print(f"{stack}: worst-case up {worst_up:.0f} min, job needs {needed}, timeout {timeout}")
    assert needed <= timeout <= HOSTED_JOB_LIMIT_MINUTES
    # A timeout far above the need only hides a hung job.
    assert timeout - needed <= 15


def test_prod_worst_case_is_cluster_then_pool_then_the_slowest_deployment(tmp_path: Path) -> None:
    """The chain the figure stands for, so a change in the dependency graph shows here."""
    resources = _plan("prod", tmp_path)["resources"]
    deployments = [r for r in resources if r["type"] == "kubernetes:apps/v1:Deployment"]
    slowest = max(int(r["options"]["customTimeouts"]["update"][:-1]) for r in deployments)
    assert slowest == 153
    # Cluster update 60 + pool update 60 + Deployment 153, then a replaced pool's delete 30.
    assert critical_path_minutes(resources) == 60 + 60 + slowest + 30


# ------------------------------------------------------------- reaching the clusters


def _get_credentials() -> list[tuple[str, list[str]]]:
    found = []
    for path in FILES:
        for job in _load(path)["jobs"].values():
            for step in job.get("steps", []):
                for line in str(step.get("run", "")).splitlines():
                    if "get-credentials" in line:
                        found.append((path.name, shlex.split(line)))
    return found


def test_every_get_credentials_uses_the_dns_endpoint_with_project_and_location() -> None:
    calls = _get_credentials()
    assert len(calls) == len(DEPLOYED)
    for name, words in calls:
        assert words[:4] == ["gcloud", "container", "clusters", "get-credentials"], name
        assert "--dns-endpoint" in words, name
        assert words[words.index("--project") + 1] == "$GCP_PROJECT", name
        assert words[words.index("--location") + 1] == "$LOCATION", name


@pytest.mark.parametrize("stack", DEPLOYED)
def test_stacks_ci_reaches_serve_their_dns_endpoint(stack: str) -> None:
    cluster = load_spec(ROOT, stack).cluster
    assert cluster is not None
    assert cluster.dns_endpoint.allow_external_traffic, stack


def test_every_gcloud_setup_names_the_project() -> None:
    for path in FILES:
        for job in _load(path)["jobs"].values():
            for step in job.get("steps", []):
                if _uses("google-github-actions/setup-gcloud@")(step):
                    assert "GCP_PROJECT_" in step["with"]["project_id"] or (
                        step["with"]["project_id"] == "${{ matrix.project }}"
                    ), path.name


# ------------------------------------------------------- variables and secrets


def _read_names(kind: str) -> dict[str, set[str]]:
    names: dict[str, set[str]] = {}
    for path in FILES:
        for name in re.findall(rf"\b{kind}\.([A-Z][A-Z0-9_]*)", path.read_text(encoding="utf-8")):
            names.setdefault(name, set()).add(path.name)
    return names


def test_workflows_read_exactly_the_variables_the_bootstrap_outputs() -> None:
    assert set(_read_names("vars")) == CONTRACT
    assert _read_names("secrets") == {}, "state and secrets need no secret: WIF, gs://, gcpkms://"
    # No dynamic lookup (vars[...]) a reader of the workflows could not see.
    for path in FILES:
        assert "vars[" not in path.read_text(encoding="utf-8"), path.name


def _readme_variables() -> dict[str, str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### GitOps", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \| (.+) \|$", section, re.M)
    return dict(rows)


def test_every_variable_a_workflow_reads_is_in_the_readme_table() -> None:
    documented = _readme_variables()
    used = _read_names("vars")
    assert set(documented) == set(used)
    for name, files in used.items():
        for file in files:
            assert file in documented[name], f"README row for {name} does not name {file}"


# ------------------------------------------------------------- base-image pinning


def test_base_images_are_pinned_by_a_scheduled_pull_request() -> None:
    doc = _load(WORKFLOWS / "base-images.yml")
    trigger = doc.get("on", doc.get(True))
    assert set(trigger) == {"schedule", "workflow_dispatch"}
    (job,) = doc["jobs"].values()
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
    steps = job["steps"]
    lock = _index(steps, _runs("make lock-base-images"))
    pr = _index(steps, _uses("peter-evans/create-pull-request@"))
    assert lock < pr
    assert steps[pr]["with"]["add-paths"] == "model_images/base-images.lock"
    assert steps[pr]["with"]["branch"] == "base-images/lock"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nlock-base-images:", 1)[1].split("\n\n", 1)[0]
    assert "scripts/lock-base-images.py" in recipe
    assert (ROOT / "scripts" / "lock-base-images.py").is_file()
