"""Every variable a workflow reads is one the bootstrap outputs or one a person sets by hand
(`bootstrap.variables.BY_HAND`, the one list of those); nothing is output that no workflow
reads."""

from __future__ import annotations

import json
import re

import yaml

from bootstrap.variables import BY_HAND, by_hand
from infra.preview.engine import Plan
from tests.bootstrap.conftest import ROOT

EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)


class _Names:
    """Every `<context>.NAME` inside any `${{ ... }}` expression, several per expression."""

    def __init__(self, context: str) -> None:
        self.name = re.compile(rf"\b{context}\.([A-Za-z_][A-Za-z0-9_]*)")

    def findall(self, text: str) -> list[str]:
        return [n for e in EXPRESSION.findall(text) for n in self.name.findall(e)]


VARS = _Names("vars")
SECRETS = _Names("secrets")


def _read(pattern: _Names) -> dict[str, set[str]]:
    """Name -> the workflow files that read it (`${{ vars.NAME }}` / `${{ secrets.NAME }}`)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        for name in pattern.findall(path.read_text(encoding="utf-8")):
            found.setdefault(name, set()).add(path.name)
    return found


def workflow_variables() -> dict[str, set[str]]:
    return _read(VARS)


def output_names(plan: Plan) -> set[str]:
    return set(plan.outputs["githubVariables"])


def test_workflow_variables_are_the_bootstrap_outputs_and_the_by_hand_ones(
    bootstrap_plan: Plan,
) -> None:
    read = set(workflow_variables())
    made = output_names(bootstrap_plan)
    manual = by_hand("variable")
    assert made.isdisjoint(manual), "a by-hand variable is also a bootstrap output"
    assert sorted(read - made - manual) == [], "a workflow reads a variable nobody sets"
    assert sorted(made - read) == [], "the bootstrap outputs a variable no workflow reads"
    assert sorted(manual - read) == [], "a by-hand variable no workflow reads"


def test_workflow_secrets_are_exactly_the_by_hand_ones() -> None:
    assert set(_read(SECRETS)) == by_hand("secret")


def test_by_hand_entries_name_their_readers() -> None:
    readers = {**workflow_variables(), **_read(SECRETS)}
    for entry in BY_HAND:
        assert set(entry.read_by.split(", ")) == readers[entry.name], entry.name


def test_the_scan_sees_every_form_of_a_variable_reference() -> None:
    text = (
        "a: ${{ vars.ONE }}\nb: ${{ github.x && vars.TWO || vars.THREE }}\nc: ${{ secrets.S }}"
        "\nd: vars.NOT_IN_AN_EXPRESSION"
    )
    assert VARS.findall(text) == ["ONE", "TWO", "THREE"]
    assert SECRETS.findall(text) == ["S"]


def _table_rows(plan: Plan) -> dict[str, list[str]]:
    rows = {}
    for line in plan.outputs["githubVariablesTable"].splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_the_table_names_each_variables_readers(bootstrap_plan: Plan) -> None:
    """The "Read by" column is what the workflow files read, so the operator's table (and
    CANARY_STACKS, which decides canary.yml's projects) cannot drift from them."""
    rows = _table_rows(bootstrap_plan)
    readers = {**workflow_variables(), **_read(SECRETS)}
    assert set(rows) == set(readers)
    for name, (_kind, read_by, _value) in rows.items():
        assert set(read_by.split(", ")) == readers[name], name


def test_each_deploy_job_reads_its_own_stacks_account_project_and_key(
    bootstrap_plan: Plan,
) -> None:
    """One deploy job per GitHub environment; each reads the variables of its stack."""
    deploy = yaml.safe_load((ROOT / ".github/workflows/deploy.yml").read_text(encoding="utf-8"))
    made = output_names(bootstrap_plan)
    for job in deploy["jobs"].values():
        stack = job["environment"]["name"]
        read = set(VARS.findall(json.dumps(job)))
        for prefix in ("GCP_DEPLOYER_SA_", "GCP_PROJECT_", "PULUMI_SECRETS_PROVIDER_"):
            name = f"{prefix}{stack.upper()}"
            assert name in made, name
            assert {n for n in read if n.startswith(prefix)} == {name}, (stack, prefix)


def test_the_project_variables_are_the_stack_files_projects(
    bootstrap_plan: Plan, spec_and_targets
) -> None:
    _, targets = spec_and_targets
    values = bootstrap_plan.outputs["githubVariables"]
    for t in targets:
        assert values[f"GCP_PROJECT_{t.stack.upper()}"] == t.project
        assert (
            values[f"PULUMI_SECRETS_PROVIDER_{t.stack.upper()}"]
            == bootstrap_plan.outputs["secretsProviders"][t.stack]
        )


def test_gh_lines_set_every_variable_once(bootstrap_plan: Plan) -> None:
    lines = bootstrap_plan.outputs["ghVariableSet"]
    keys = bootstrap_plan.outputs["githubVariables"]
    assert sorted(line.split()[3] for line in lines) == sorted(keys)
    for line in lines:
        assert line.startswith("gh variable set ")
        assert "--repo acme/servestack" in line
        assert "--env" not in line


def test_the_federated_workflows_are_the_ones_using_the_accounts(bootstrap_plan: Plan) -> None:
    """The previewer, drift checker and canary analyser are bound to GitHub's `workflow` claim
    (the workflow's `name:`), so each binding must name the workflow that reads that account's
    variable, and that workflow must authenticate through the bootstrap's provider."""
    from bootstrap.program import WORKFLOW_CANARY, WORKFLOW_DRIFT, WORKFLOW_PREVIEW

    bound = {
        r.inputs["member"].rsplit("/", 1)[-1]
        for r in bootstrap_plan.by_type("gcp:serviceaccount/iAMMember:IAMMember")
        if "/attribute.workflow/" in r.inputs["member"]
    }
    assert bound == {WORKFLOW_PREVIEW, WORKFLOW_DRIFT, WORKFLOW_CANARY}
    readers = workflow_variables()
    for variable, workflow in (
        ("GCP_PREVIEWER_SA", WORKFLOW_PREVIEW),
        ("GCP_DRIFT_SA", WORKFLOW_DRIFT),
        ("GCP_CANARY_SERVICE_ACCOUNT", WORKFLOW_CANARY),
    ):
        (file,) = readers[variable]
        doc = yaml.safe_load((ROOT / ".github/workflows" / file).read_text(encoding="utf-8"))
        assert doc["name"] == workflow, file
        auths = [
            s["with"]
            for job in doc["jobs"].values()
            for s in job.get("steps", [])
            if s.get("uses", "").startswith("google-github-actions/auth@")
        ]
        assert auths == [
            {
                "workload_identity_provider": "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}",
                "service_account": f"${{{{ vars.{variable} }}}}",
            }
        ], file
