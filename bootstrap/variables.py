"""The GitHub variables the workflows read, exactly, as a table and as `gh variable set` lines.

Repository variables serve the jobs without an environment (preview, drift); each deploy
job runs in the GitHub environment named like its stack, whose variables override the
repository's (https://docs.github.com/en/actions/reference/workflows-and-actions/variables
#configuration-variable-precedence). tests/bootstrap/test_variables.py fails when a
workflow reads a variable this module does not produce, or the reverse.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Variable:
    name: str
    value: str
    environment: str | None
    """None: a repository variable; otherwise the GitHub environment it belongs to."""
    read_by: str


def github_variables(
    *,
    provider: str,
    backend_url: str,
    previewer: str,
    drift: str,
    deployers: Mapping[str, str],
) -> list[Variable]:
    """Every variable, repository ones first, then per environment in stack order."""
    found = [
        Variable(
            "GCP_WORKLOAD_IDENTITY_PROVIDER", provider, None, "preview.yml, drift.yml, deploy.yml"
        ),
        Variable("PULUMI_BACKEND_URL", backend_url, None, "preview.yml, drift.yml, deploy.yml"),
        Variable("GCP_PREVIEW_SERVICE_ACCOUNT", previewer, None, "preview.yml"),
        Variable("GCP_DRIFT_SERVICE_ACCOUNT", drift, None, "drift.yml"),
    ]
    found += [
        Variable("GCP_SERVICE_ACCOUNT", email, stack, "deploy.yml")
        for stack, email in deployers.items()
    ]
    return found


def names(variables: Sequence[Variable]) -> set[str]:
    return {v.name for v in variables}


def gh_lines(variables: Sequence[Variable], repository: str) -> list[str]:
    """Real `gh variable set` commands (https://cli.github.com/manual/gh_variable_set)."""
    lines = []
    for v in variables:
        scope = f" --env {shlex.quote(v.environment)}" if v.environment else ""
        lines.append(
            f"gh variable set {v.name} --repo {shlex.quote(repository)}{scope}"
            f" --body {shlex.quote(v.value)}"
        )
    return lines


def table(variables: Sequence[Variable]) -> str:
    rows = ["| Variable | Scope | Read by | Value |", "|---|---|---|---|"]
    for v in variables:
        scope = f"environment `{v.environment}`" if v.environment else "repository"
        rows.append(f"| `{v.name}` | {scope} | {v.read_by} | `{v.value}` |")
    return "\n".join(rows)
