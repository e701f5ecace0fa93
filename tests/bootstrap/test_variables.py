"""The workflows read exactly the GitHub variables the bootstrap outputs, no more, no fewer."""

from __future__ import annotations

import re

from infra.preview.engine import Plan
from tests.bootstrap.conftest import ROOT

VARS = re.compile(r"\$\{\{[^}]*?\bvars\.([A-Za-z_][A-Za-z0-9_]*)")


def workflow_variables() -> dict[str, set[str]]:
    """Variable name -> the workflow files that read it (`${{ vars.NAME }}`)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        for name in VARS.findall(path.read_text(encoding="utf-8")):
            found.setdefault(name, set()).add(path.name)
    return found


def output_names(plan: Plan) -> set[str]:
    return {key.rsplit("/", 1)[-1] for key in plan.outputs["githubVariables"]}


def test_workflow_variables_are_exactly_the_bootstrap_outputs(bootstrap_plan: Plan) -> None:
    read = set(workflow_variables())
    made = output_names(bootstrap_plan)
    assert sorted(read - made) == [], "a workflow reads a variable the bootstrap does not output"
    assert sorted(made - read) == [], "the bootstrap outputs a variable no workflow reads"


def test_the_scan_sees_every_form_of_a_variable_reference() -> None:
    text = "a: ${{ vars.ONE }}\nb: ${{ github.x && vars.TWO || 'x' }}\nc: ${{ secrets.S }}"
    assert VARS.findall(text) == ["ONE", "TWO"]


def test_deploy_jobs_get_their_account_from_their_environment(bootstrap_plan: Plan) -> None:
    """GCP_SERVICE_ACCOUNT is per GitHub environment, one per stack the deploy workflow runs."""
    import yaml

    deploy = yaml.safe_load((ROOT / ".github/workflows/deploy.yml").read_text(encoding="utf-8"))
    environments = {job["environment"]["name"] for job in deploy["jobs"].values()}
    scoped = {
        key.split("/", 1)[0]
        for key in bootstrap_plan.outputs["githubVariables"]
        if key.endswith("/GCP_SERVICE_ACCOUNT")
    }
    assert scoped == environments


def test_gh_lines_set_every_variable_once(bootstrap_plan: Plan) -> None:
    lines = bootstrap_plan.outputs["ghVariableSet"]
    keys = bootstrap_plan.outputs["githubVariables"]
    assert len(lines) == len(keys)
    for line in lines:
        assert line.startswith("gh variable set ")
        name = line.split()[3]
        env = line.split("--env ", 1)[1].split()[0] if "--env " in line else None
        assert (f"{env}/{name}" if env else name) in keys
        assert "--repo acme/servestack" in line
    table = bootstrap_plan.outputs["githubVariablesTable"]
    assert all(f"`{key.rsplit('/', 1)[-1]}`" in table for key in keys)


def test_the_federated_workflows_are_the_ones_using_the_accounts(bootstrap_plan: Plan) -> None:
    """The previewer and drift checker are bound to GitHub's `workflow` claim (the workflow's
    `name:`), so each binding must name the workflow that reads that account's variable."""
    import yaml

    from bootstrap.program import WORKFLOW_DRIFT, WORKFLOW_PREVIEW

    bound = {
        r.inputs["member"].rsplit("/", 1)[-1]
        for r in bootstrap_plan.by_type("gcp:serviceaccount/iAMMember:IAMMember")
        if "/attribute.workflow/" in r.inputs["member"]
    }
    assert bound == {WORKFLOW_PREVIEW, WORKFLOW_DRIFT}
    readers = workflow_variables()
    for variable, workflow in (
        ("GCP_PREVIEW_SERVICE_ACCOUNT", WORKFLOW_PREVIEW),
        ("GCP_DRIFT_SERVICE_ACCOUNT", WORKFLOW_DRIFT),
    ):
        (file,) = readers[variable]
        doc = yaml.safe_load((ROOT / ".github/workflows" / file).read_text(encoding="utf-8"))
        assert doc["name"] == workflow, file
