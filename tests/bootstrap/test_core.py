"""The pure core of the bootstrap: APIs from a stack, grant plan, variables, builders."""

from __future__ import annotations

import shlex

from bootstrap import builders
from bootstrap.accounts import deployer_grants, deployer_id, principal
from bootstrap.targets import parse_key, required_apis, target_of
from bootstrap.variables import Variable, gh_lines, table
from infra.config import parse_stack
from infra.preview.stackfile import load_spec
from tests.bootstrap.conftest import ROOT


def spec_with(stack: str, **cluster: object):  # type: ignore[no-untyped-def]
    base = load_spec(ROOT, stack)
    values = base.model_dump(by_alias=True, exclude_none=True)
    values["cluster"] = {**values["cluster"], **cluster}
    full = {f"servestack:{k}": v for k, v in values.items()}
    full["gcp:project"] = base.gcp_project
    full["gcp:region"] = base.gcp_region
    return parse_stack(stack, full)


def test_optional_apis_follow_settings() -> None:
    plain = spec_with("dev")
    assert "binaryauthorization.googleapis.com" not in required_apis(plain)
    assert "cloudkms.googleapis.com" not in required_apis(plain)
    key = "projects/acme-ml-serving-dev/locations/europe-west4/keyRings/gke/cryptoKeys/k"
    richer = spec_with("dev", binaryAuthorization=True, secretsEncryptionKey=key)
    assert {"binaryauthorization.googleapis.com", "cloudkms.googleapis.com"} <= set(
        required_apis(richer)
    )
    assert required_apis(load_spec(ROOT, "local")) == ()


def test_node_roles_widen_the_deployers_grant_condition() -> None:
    spec = spec_with("dev", nodeServiceAccountRoles=["roles/logging.logWriter"])
    target = target_of(spec, "stacks/Pulumi.dev.yaml")
    (admin,) = [
        g
        for g in deployer_grants(target, "state", "key")
        if g.role == "roles/resourcemanager.projectIamAdmin"
    ]
    assert admin.condition is not None
    assert admin.condition[1].endswith(
        "hasOnly(['roles/container.defaultNodeServiceAccount', 'roles/logging.logWriter'])"
    )


def test_key_ids_split_and_rejoin() -> None:
    key = "projects/p/locations/europe-west4/keyRings/gke/cryptoKeys/serve-prod-secrets"
    ref = parse_key(key)
    assert (ref.project, ref.location, ref.ring, ref.key) == (
        "p",
        "europe-west4",
        "gke",
        "serve-prod-secrets",
    )
    assert ref.id == key


def test_account_ids_fit_gcp_limits() -> None:
    assert deployer_id("staging") == "servestack-deploy-staging"
    assert len(deployer_id("a-very-long-stack-name-indeed")) <= 30


def test_gh_lines_are_shell_safe() -> None:
    lines = gh_lines([Variable("X", "a b'c", "prod", "deploy.yml")], "acme/servestack")
    words = ["gh", "variable", "set", "X", "--repo", "acme/servestack", "--env", "prod", "--body"]
    assert shlex.split(lines[0]) == [*words, "a b'c"]
    assert "| `X` | environment `prod` |" in table([Variable("X", "v", "prod", "deploy.yml")])


def test_principals() -> None:
    pool = builders.principal_set("123", "environment", "prod")
    assert pool == (
        "principalSet://iam.googleapis.com/projects/123/locations/global/"
        "workloadIdentityPools/github/attribute.environment/prod"
    )
    assert principal(pool) == "GitHub deploy jobs (environment = stack)"
    assert principal(builders.gke_service_agent("123")) == "GKE service agent"
    assert builders.provider_name("123").endswith(
        "/workloadIdentityPools/github/providers/github-oidc"
    )
    assert principal("serviceAccount:someone@else.iam.gserviceaccount.com").startswith("unknown")


def test_rotation_and_secrets_url() -> None:
    from bootstrap.config import KmsSpec

    assert builders.rotation(90) == "7776000s"
    kms = KmsSpec(location="europe-west4")
    assert builders.secrets_provider_url("ops", kms, "dev") == (
        "gcpkms://projects/ops/locations/europe-west4/keyRings/servestack/cryptoKeys/pulumi-dev"
    )
