"""The GitHub variables the workflows read, exactly, as a table and as `gh variable set` lines.

All are repository variables: the deploy jobs run in the GitHub environment named like their
stack, but each reads its own stack's names (`GCP_DEPLOYER_SA_PROD`, ...), and Workload
Identity Federation admits a deployer only from its environment, so no variable needs an
environment scope. What the bootstrap cannot know, a GitHub App the team creates by hand,
is listed in `BY_HAND`. tests/bootstrap/test_variables.py and tests/ops/test_gitops.py fail
when a workflow reads a variable or secret that is neither produced here nor in `BY_HAND`,
or when one is produced that no workflow reads.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

# The stacks canary.yml's matrix judges (production-like stacks serve canaries).
CANARY_STACKS = ("staging", "prod")
_PLAN_READERS = "deploy.yml, preview.yml, drift.yml"


@dataclass(frozen=True)
class Variable:
    name: str
    value: str
    read_by: str


@dataclass(frozen=True)
class ByHand:
    """A variable or secret a workflow reads that a person sets: nothing the bootstrap
    declares can produce it."""

    name: str
    kind: Literal["variable", "secret"]
    read_by: str
    what: str


BY_HAND: tuple[ByHand, ...] = (
    ByHand(
        "CANARY_APP_ID",
        "variable",
        "canary.yml",
        "the App ID of the GitHub App the canary job opens its pull requests with "
        "(repository permissions: contents and pull requests, read and write)",
    ),
    ByHand(
        "CANARY_APP_PRIVATE_KEY",
        "secret",
        "canary.yml",
        "a private key (PEM) generated for that App",
    ),
)


def by_hand(kind: Literal["variable", "secret"]) -> set[str]:
    return {b.name for b in BY_HAND if b.kind == kind}


def github_variables(
    *,
    provider: str,
    backend_url: str,
    previewer: str,
    drift: str,
    canary: str,
    deployers: Mapping[str, str],
    projects: Mapping[str, str],
    secrets_providers: Mapping[str, str],
) -> list[Variable]:
    """Every variable: the shared ones first, then per stack in stack order."""
    found = [
        Variable("GCP_WORKLOAD_IDENTITY_PROVIDER", provider, f"{_PLAN_READERS}, canary.yml"),
        Variable("PULUMI_BACKEND_URL", backend_url, _PLAN_READERS),
        Variable("GCP_PREVIEWER_SA", previewer, "preview.yml"),
        Variable("GCP_DRIFT_SA", drift, "drift.yml"),
        Variable("GCP_CANARY_SERVICE_ACCOUNT", canary, "canary.yml"),
    ]
    for stack, email in deployers.items():
        suffix = stack.upper()
        canary_reads = ", canary.yml" if stack in CANARY_STACKS else ""
        found += [
            Variable(f"GCP_DEPLOYER_SA_{suffix}", email, "deploy.yml"),
            Variable(f"GCP_PROJECT_{suffix}", projects[stack], _PLAN_READERS + canary_reads),
            Variable(f"PULUMI_SECRETS_PROVIDER_{suffix}", secrets_providers[stack], _PLAN_READERS),
        ]
    return found


def names(variables: Sequence[Variable]) -> set[str]:
    return {v.name for v in variables}


def gh_lines(variables: Sequence[Variable], repository: str) -> list[str]:
    """Real `gh variable set` commands (https://cli.github.com/manual/gh_variable_set)."""
    return [
        f"gh variable set {v.name} --repo {shlex.quote(repository)} --body {shlex.quote(v.value)}"
        for v in variables
    ]


def table(variables: Sequence[Variable]) -> str:
    """What the bootstrap sets, then what is left to set by hand."""
    rows = ["| Name | Kind | Read by | Value |", "|---|---|---|---|"]
    rows += [f"| `{v.name}` | variable | {v.read_by} | `{v.value}` |" for v in variables]
    rows += [f"| `{b.name}` | {b.kind} | {b.read_by} | set by hand: {b.what} |" for b in BY_HAND]
    return "\n".join(rows)
