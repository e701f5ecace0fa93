"""What the bootstrap declares, read from its offline plan."""

from __future__ import annotations

import json

from bootstrap.targets import API_OF_TYPE, required_apis
from infra.preview.engine import Plan
from infra.preview.stackfile import load_spec
from tests.bootstrap.conftest import ROOT

SERVICE = "gcp:projects/service:Service"


def enabled(plan: Plan) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for r in plan.by_type(SERVICE):
        found.setdefault(r.inputs["project"], set()).add(r.inputs["service"])
    return found


def test_no_mandatory_violation(bootstrap_plan: Plan) -> None:
    assert bootstrap_plan.mandatory_violations == []
    assert bootstrap_plan.policies == []


def test_deterministic(bootstrap_plan: Plan) -> None:
    from bootstrap.preview import run_bootstrap_offline

    again = run_bootstrap_offline(ROOT, bootstrap_plan.stack)
    assert json.dumps(again.to_json(), sort_keys=True) == json.dumps(
        bootstrap_plan.to_json(), sort_keys=True
    )


def test_every_stack_resource_type_has_its_api_enabled(
    bootstrap_plan: Plan, stack_plans: dict[str, Plan]
) -> None:
    """The API list follows what each stack's plan declares (not a fixed list)."""
    on = enabled(bootstrap_plan)
    for stack in ("dev", "staging", "prod"):
        plan = stack_plans[stack]
        spec = load_spec(ROOT, stack)
        gcp_types = {r.type for r in plan.resources if r.custom and r.type.startswith("gcp:")}
        assert gcp_types <= set(API_OF_TYPE), gcp_types - set(API_OF_TYPE)
        needed = {API_OF_TYPE[t] for t in gcp_types}
        cluster = plan.by_type("gcp:container/cluster:Cluster")[0].inputs
        if cluster.get("binaryAuthorization", {}).get("evaluationMode") not in (None, "DISABLED"):
            needed.add("binaryauthorization.googleapis.com")
        if cluster.get("databaseEncryption", {}).get("keyName"):
            needed.add("cloudkms.googleapis.com")
        if (cluster.get("nodePoolDefaults") or {}).get("nodeConfigDefaults", {}).get("gcfsConfig"):
            needed.add("containerfilesystem.googleapis.com")
        assert needed <= set(required_apis(spec)), needed - set(required_apis(spec))
        assert set(required_apis(spec)) == on[spec.gcp_project]


def test_optional_apis_follow_the_stack_settings(bootstrap_plan: Plan) -> None:
    on = enabled(bootstrap_plan)
    assert "binaryauthorization.googleapis.com" in on["acme-ml-serving-prod"]
    assert "binaryauthorization.googleapis.com" not in on["acme-ml-serving-dev"]
    assert "cloudkms.googleapis.com" in on["acme-ml-serving-prod"]
    assert "cloudkms.googleapis.com" not in on["acme-ml-serving-dev"]
    assert {"sts.googleapis.com", "iamcredentials.googleapis.com"} <= on["acme-ml-serving-ops"]


def test_state_bucket(bootstrap_plan: Plan) -> None:
    (bucket,) = [
        r for r in bootstrap_plan.by_type("gcp:storage/bucket:Bucket") if r.name == "state-bucket"
    ]
    i = bucket.inputs
    assert i["versioning"] == {"enabled": True}
    assert i["uniformBucketLevelAccess"] is True
    assert i["publicAccessPrevention"] == "enforced"
    conditions = [rule["condition"] for rule in i["lifecycleRules"]]
    assert all(c["withState"] == "ARCHIVED" for c in conditions)
    assert {"numNewerVersions", "daysSinceNoncurrentTime"} <= {k for c in conditions for k in c}
    assert bucket.options.get("protect") is True
    assert bootstrap_plan.outputs["stateBackendUrl"] == f"gs://{i['name']}"


def test_gke_agent_binding_waits_for_the_container_api(bootstrap_plan: Plan) -> None:
    (grant,) = [
        r
        for r in bootstrap_plan.by_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
        if "container-engine-robot" in r.inputs["member"]
    ]
    spec = load_spec(ROOT, "prod")
    assert grant.inputs["cryptoKeyId"] == spec.cluster.secrets_encryption_key
    assert grant.inputs["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    (api,) = [
        r
        for r in bootstrap_plan.by_type(SERVICE)
        if r.inputs
        == {**r.inputs, "project": "acme-ml-serving-prod", "service": "container.googleapis.com"}
    ]
    assert api.urn in grant.options["dependencies"]


def test_provider_pins_the_repository_by_immutable_ids(bootstrap_plan: Plan) -> None:
    (provider,) = bootstrap_plan.by_type(
        "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
    )
    condition = provider.inputs["attributeCondition"]
    assert "assertion.repository_id == '812734019'" in condition
    assert "assertion.repository_owner_id == '90311455'" in condition
    assert "assertion.repository ==" not in condition
    assert provider.inputs["oidc"]["issuerUri"] == "https://token.actions.githubusercontent.com"


def test_prod_deployer_only_for_the_prod_environment(bootstrap_plan: Plan) -> None:
    bindings = [
        r
        for r in bootstrap_plan.by_type("gcp:serviceaccount/iAMMember:IAMMember")
        if r.inputs["role"] == "roles/iam.workloadIdentityUser"
    ]
    prod = [r for r in bindings if "servestack-deploy-prod" in r.inputs["serviceAccountId"]]
    assert [r.inputs["member"].rsplit("/", 2)[-2:] for r in prod] == [
        ["attribute.environment", "prod"]
    ]


def test_secrets_keys_and_providers(bootstrap_plan: Plan) -> None:
    """Each GKE stack file names the gcpkms:// key the bootstrap creates for it; local keeps a
    passphrase (no secretsprovider key)."""
    import yaml

    providers = bootstrap_plan.outputs["secretsProviders"]
    keys = {r.inputs["name"] for r in bootstrap_plan.by_type("gcp:kms/cryptoKey:CryptoKey")}
    for stack in ("dev", "staging", "prod"):
        doc = yaml.safe_load((ROOT / f"stacks/Pulumi.{stack}.yaml").read_text(encoding="utf-8"))
        assert doc["secretsprovider"] == providers[stack]
        assert providers[stack].rsplit("/", 1)[-1] in keys
    local = yaml.safe_load((ROOT / "stacks/Pulumi.local.yaml").read_text(encoding="utf-8"))
    assert "secretsprovider" not in local
    for key in bootstrap_plan.by_type("gcp:kms/cryptoKey:CryptoKey"):
        assert key.inputs["rotationPeriod"] == "7776000s"
        assert key.options.get("protect") is True


def test_deployer_may_grant_only_the_node_roles(bootstrap_plan: Plan) -> None:
    admins = [
        r
        for r in bootstrap_plan.by_type("gcp:projects/iAMMember:IAMMember")
        if r.inputs["role"] == "roles/resourcemanager.projectIamAdmin"
    ]
    assert len(admins) == 3
    for r in admins:
        assert (
            "hasOnly(['roles/container.defaultNodeServiceAccount'])"
            in r.inputs["condition"]["expression"]
        )


def test_every_child_is_parented_to_its_component(bootstrap_plan: Plan) -> None:
    for r in bootstrap_plan.resources:
        assert r.parent, r.urn
        if r.custom:
            assert "servestack-bootstrap:index:" in r.parent, r.urn


def test_the_pulumi_entry_point_declares_the_same_plan(bootstrap_plan: Plan) -> None:
    """bootstrap/__main__.py, as `pulumi up` runs it: config read from the engine's settings."""
    import runpy

    from bootstrap.config import PROJECT
    from bootstrap.loader import load, read_config
    from bootstrap.preview import BootstrapMocks
    from infra.preview.engine import run_program

    config = read_config(ROOT, bootstrap_plan.stack)
    spec, _ = load(ROOT, config)

    def program() -> dict[str, object]:
        runpy.run_path(str(ROOT / "bootstrap" / "__main__.py"), run_name="__main__")
        return {}

    mocks = BootstrapMocks(spec.gcp_project, spec.kms.location)
    resources, _ = run_program(PROJECT, config, mocks, program)
    assert [r.to_json() for r in resources] == [r.to_json() for r in bootstrap_plan.resources]
