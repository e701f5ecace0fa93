"""README "From an empty GCP project": the steps in order, every name in them real."""

from __future__ import annotations

import re
import shlex

import yaml

from infra.preview.engine import Plan
from tests.bootstrap.conftest import ROOT

ORDER = [
    "gcloud auth login",
    "gcloud services enable serviceusage.googleapis.com cloudresourcemanager.googleapis.com",
    "pulumi login --local",
    "pulumi up",
    "pulumi stack export --file",
    "pulumi login gs://",
    "pulumi stack import --file",
    "ghVariableSet",  # its `gh variable set` lines
    'pulumi stack init "$stack" --secrets-provider',
    "pulumi up --stack dev",
]


def section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## From an empty GCP project")
    return text[start : text.index("\n## ", start + 3)]


def commands() -> str:
    return "\n".join(re.findall(r"```sh\n(.*?)```", section(), flags=re.S))


def test_steps_come_in_order() -> None:
    text = commands()
    at = 0
    for step in ORDER:
        found = text.find(step, at)
        assert found >= 0, f"README: {step!r} missing or out of order"
        at = found


def test_names_in_the_commands_are_the_bootstraps(bootstrap_plan: Plan, spec_and_targets) -> None:
    spec, targets = spec_and_targets
    text = commands()
    assert f"pulumi login gs://{spec.state.bucket}" in text
    assert f"--offline --bootstrap {spec.stack}" in text
    assert f"pulumi stack init {spec.stack} " in text
    projects = re.search(r"for project in ([^;]+);", text)
    assert projects is not None
    assert set(shlex.split(projects[1])) == {spec.gcp_project, *(t.project for t in targets)}
    loop = re.search(r"for stack in ([^;]+);", text)
    assert loop is not None and shlex.split(loop[1]) == [t.stack for t in targets]
    for output in re.findall(r"stack output (\w+)", text):
        assert output in bootstrap_plan.outputs, output
    envs = re.search(r"for env in ([^;]+);", text)
    assert envs is not None
    assert set(shlex.split(envs[1])) == {
        k.split("/", 1)[0] for k in bootstrap_plan.outputs["githubVariables"] if "/" in k
    }
    assert f"repos/{spec.github.repository}/environments" in text


def test_the_bootstrap_is_a_pulumi_project() -> None:
    project = yaml.safe_load((ROOT / "bootstrap" / "Pulumi.yaml").read_text(encoding="utf-8"))
    assert project["name"] == "servestack-bootstrap"
    assert project["runtime"]["name"] == "python"
    assert (ROOT / "bootstrap" / project["main"] / "__main__.py").is_file()
    assert (ROOT / "bootstrap" / project["stackConfigDir"] / "Pulumi.acme.yaml").is_file()
    venv = ROOT / "bootstrap" / project["runtime"]["options"]["virtualenv"]
    assert venv.resolve() == (ROOT / ".venv").resolve()
