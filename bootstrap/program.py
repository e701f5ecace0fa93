"""Composition of the bootstrap: APIs → state bucket, keys, federation, accounts → grants.

`main` is what `bootstrap/__main__.py` runs under the Pulumi engine and what the offline
preview runs under the mock monitor; it returns the stack outputs.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp

from bootstrap import accounts as acl
from bootstrap import builders, variables
from bootstrap.components import (
    CiAccounts,
    CiAccountsArgs,
    GithubFederation,
    GithubFederationArgs,
    Grants,
    GrantsArgs,
    Keys,
    KeysArgs,
    ModelBucket,
    ModelBucketArgs,
    ProjectApis,
    ProjectApisArgs,
    StateBucket,
    StateBucketArgs,
)
from bootstrap.config import BootstrapSpec
from bootstrap.targets import Target

# The home project runs the backend, the keys and the federation.
HOME_APIS = (
    "cloudkms.googleapis.com",
    # Enabled by hand before the first run (README); declared so that it stays on.
    "cloudresourcemanager.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",  # google-github-actions/auth impersonates the accounts
    "sts.googleapis.com",  # exchanges the GitHub OIDC token for a federated token
    "storage.googleapis.com",
)
WORKFLOW_PREVIEW = "preview"
WORKFLOW_DRIFT = "drift"


def project_apis(spec: BootstrapSpec, targets: list[Target]) -> dict[str, tuple[str, ...]]:
    """Per project, every API it needs: the home project's own plus its stacks'."""
    needed: dict[str, set[str]] = {spec.gcp_project: set(HOME_APIS)}
    for target in targets:
        needed.setdefault(target.project, set()).update(target.apis)
    return {project: tuple(sorted(apis)) for project, apis in sorted(needed.items())}


def pulumi_keys(spec: BootstrapSpec, targets: list[Target]) -> dict[str, str]:
    """Stack -> full id of its Pulumi secrets key."""
    ring = f"projects/{spec.gcp_project}/locations/{spec.kms.location}/keyRings/{spec.kms.key_ring}"
    return {t.stack: f"{ring}/cryptoKeys/{builders.pulumi_key_name(t.stack)}" for t in targets}


def gke_key_rings(targets: list[Target]) -> dict[tuple[str, str, str], list[str]]:
    """(project, location, ring) -> the GKE secrets keys the stack files name in it."""
    rings: dict[tuple[str, str, str], set[str]] = {}
    for target in targets:
        ref = target.secrets_key
        if ref is not None:
            rings.setdefault((ref.project, ref.location, ref.ring), set()).add(ref.key)
    return {ring: sorted(keys) for ring, keys in sorted(rings.items())}


def plan_grants(spec: BootstrapSpec, targets: list[Target]) -> list[acl.Grant]:
    keys = pulumi_keys(spec, targets)
    model_buckets = sorted({b for t in targets for b in t.model_buckets})
    grants: list[acl.Grant] = []
    for target in targets:
        grants += acl.deployer_grants(target, spec.state.bucket, keys[target.stack])
        grants.append(
            acl.Grant(
                f"github-env:{target.stack}",
                "roles/iam.workloadIdentityUser",
                acl.ACCOUNT,
                acl.deployer_id(target.stack),
                f"jobs of GitHub environment `{target.stack}` (the repository pinned by id) "
                "act as the deployer",
            )
        )
    grants += acl.reviewer_grants(targets, spec.state.bucket, keys)
    grants += [
        acl.Grant(
            f"github-workflow:{WORKFLOW_PREVIEW}",
            "roles/iam.workloadIdentityUser",
            acl.ACCOUNT,
            acl.PREVIEWER,
            "the `preview` workflow acts as the previewer",
        ),
        acl.Grant(
            f"github-workflow:{WORKFLOW_DRIFT}",
            "roles/iam.workloadIdentityUser",
            acl.ACCOUNT,
            acl.DRIFT,
            "the `drift` workflow acts as the drift checker",
        ),
    ]
    grants += acl.publisher_grants(spec, model_buckets)
    grants += acl.gke_agent_grants(targets)
    return grants


def _number(project: str) -> pulumi.Output[str]:
    return gcp.organizations.get_project_output(project_id=project).apply(lambda p: str(p.number))


def _principal(number: pulumi.Output[str], attribute: str, value: str) -> pulumi.Output[str]:
    return number.apply(lambda n: builders.principal_set(n, attribute, value))


def main(spec: BootstrapSpec, targets: list[Target]) -> dict[str, Any]:
    """Declare everything day 0 needs; return the stack outputs."""
    labels = dict(sorted(spec.labels.items()))
    home = spec.gcp_project
    apis = {
        project: ProjectApis(f"apis-{project}", ProjectApisArgs(project=project, apis=list(needed)))
        for project, needed in project_apis(spec, targets).items()
    }
    home_apis = apis[home].services
    state = StateBucket(
        "state",
        StateBucketArgs(
            state=spec.state,
            project=home,
            labels=labels,
            storage_api=home_apis["storage.googleapis.com"],
        ),
    )
    buckets = {spec.state.bucket: state.bucket}
    for name in sorted({b for t in targets for b in t.model_buckets}):
        buckets[name] = ModelBucket(
            f"models-{name}",
            ModelBucketArgs(
                name=name,
                project=home,
                location=spec.state.location,
                labels=labels,
                storage_api=home_apis["storage.googleapis.com"],
            ),
        ).bucket
    secrets = Keys(
        "secrets",
        KeysArgs(
            project=home,
            location=spec.kms.location,
            ring=spec.kms.key_ring,
            keys=[builders.pulumi_key_name(t.stack) for t in targets],
            rotation_days=spec.kms.rotation_days,
            labels=labels,
            kms_api=home_apis["cloudkms.googleapis.com"],
        ),
    )
    key_by_id = {
        pid: secrets.keys[builders.pulumi_key_name(stack)]
        for stack, pid in pulumi_keys(spec, targets).items()
    }
    for (project, location, ring), names in gke_key_rings(targets).items():
        gke = Keys(
            f"gke-{project}-{ring}",
            KeysArgs(
                project=project,
                location=location,
                ring=ring,
                keys=names,
                rotation_days=spec.kms.rotation_days,
                labels=labels,
                kms_api=apis[project].services["cloudkms.googleapis.com"],
            ),
        )
        for name in names:
            key_by_id[
                f"projects/{project}/locations/{location}/keyRings/{ring}/cryptoKeys/{name}"
            ] = gke.keys[name]
    home_number = _number(home)
    federation = GithubFederation(
        "github",
        GithubFederationArgs(
            project=home,
            project_number=home_number,
            github=spec.github,
            apis=[home_apis["iam.googleapis.com"], home_apis["sts.googleapis.com"]],
        ),
    )
    ci = CiAccounts(
        "ci",
        CiAccountsArgs(
            project=home,
            accounts=acl.accounts(targets),
            iam_api=home_apis["iam.googleapis.com"],
        ),
    )
    members: dict[str, pulumi.Input[str]] = {k: a.member for k, a in ci.accounts.items()}
    depends: dict[str, list[pulumi.Resource]] = {}
    for target in targets:
        members[f"github-env:{target.stack}"] = _principal(home_number, "environment", target.stack)
        if target.secrets_key is not None:
            who = f"gke-agent:{target.project}"
            members[who] = _number(target.project).apply(builders.gke_service_agent)
            # The agent exists only once the container API is on in its project.
            depends[who] = [apis[target.project].services["container.googleapis.com"]]
    for workflow in (WORKFLOW_PREVIEW, WORKFLOW_DRIFT):
        members[f"github-workflow:{workflow}"] = _principal(home_number, "workflow", workflow)
    Grants(
        "iam",
        GrantsArgs(
            grants=plan_grants(spec, targets),
            members=members,
            accounts=ci.accounts,
            keys=key_by_id,
            buckets=buckets,
            depends_on=depends,
        ),
        pulumi.ResourceOptions(depends_on=[federation]),
    )
    return outputs(spec, targets, federation, state, ci)


def outputs(
    spec: BootstrapSpec,
    targets: list[Target],
    federation: GithubFederation,
    state: StateBucket,
    ci: CiAccounts,
) -> dict[str, Any]:
    emails = {k: a.email for k, a in ci.accounts.items()}

    def github(parts: list[Any]) -> dict[str, Any]:
        provider, url, resolved = parts[0], parts[1], parts[2]
        found = variables.github_variables(
            provider=provider,
            backend_url=url,
            previewer=resolved[acl.PREVIEWER],
            drift=resolved[acl.DRIFT],
            deployers={t.stack: resolved[acl.deployer_id(t.stack)] for t in targets},
        )
        return {
            "variables": {
                (f"{v.environment}/{v.name}" if v.environment else v.name): v.value for v in found
            },
            "table": variables.table(found),
            "ghCommands": variables.gh_lines(found, spec.github.repository),
        }

    view = pulumi.Output.all(federation.provider_name, state.url, pulumi.Output.all(**emails))
    shown = view.apply(github)
    return {
        "githubVariables": shown.apply(lambda v: v["variables"]),
        "githubVariablesTable": shown.apply(lambda v: v["table"]),
        "ghVariableSet": shown.apply(lambda v: v["ghCommands"]),
        "stateBackendUrl": state.url,
        "secretsProviders": {
            t.stack: builders.secrets_provider_url(spec.gcp_project, spec.kms, t.stack)
            for t in targets
        },
        "canaryServiceAccount": emails[acl.CANARY],
        "modelPublisherServiceAccount": emails[acl.PUBLISHER],
    }
