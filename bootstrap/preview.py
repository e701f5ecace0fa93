"""The bootstrap, previewed offline through servestack's own engine and policy pack."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pulumi

from bootstrap.config import PROJECT
from bootstrap.loader import load, read_config
from infra.preview.engine import Plan, judge, run_program
from infra.preview.mocks import RealisticMocks

POLICY_CONFIG = Path("bootstrap") / "policy.json"


def _number(project: str) -> str:
    """A stable 12-digit stand-in for a project number."""
    return str(int(hashlib.sha256(project.encode()).hexdigest()[:10], 16) % 10**12).zfill(12)


class BootstrapMocks(RealisticMocks):
    """servestack's mocks plus realistic ids of buckets, KMS keys and the WIF pool."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, state = super().new_resource(args)
        inputs = dict(args.inputs)
        project = str(inputs.get("project") or self.project)
        if args.typ == "gcp:serviceaccount/account:Account":
            return resource_id, {**state, "name": resource_id}  # projects/P/serviceAccounts/E
        if args.typ == "gcp:storage/bucket:Bucket":
            name = str(inputs["name"])
            return name, {
                **state,
                "url": f"gs://{name}",
                "selfLink": f"https://www.googleapis.com/storage/v1/b/{name}",
            }
        if args.typ == "gcp:kms/keyRing:KeyRing":
            ring = f"projects/{project}/locations/{inputs['location']}/keyRings/{inputs['name']}"
            return ring, state
        if args.typ == "gcp:kms/cryptoKey:CryptoKey":
            return f"{inputs['keyRing']}/cryptoKeys/{inputs['name']}", state
        if args.typ.startswith("gcp:iam/workloadIdentityPool"):
            pools = f"projects/{_number(project)}/locations/global/workloadIdentityPools"
            pool = f"{pools}/{inputs['workloadIdentityPoolId']}"
            provider = inputs.get("workloadIdentityPoolProviderId")
            name = f"{pool}/providers/{provider}" if provider else pool
            return name, {**state, "name": name, "state": "ACTIVE"}
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        if args.token == "gcp:organizations/getProject:getProject":
            project = str(dict(args.args).get("projectId") or self.project)
            return {"number": _number(project), "projectId": project, "name": project}, []
        return super().call(args)


def run_bootstrap_offline(root: Path, stack: str, *, with_policies: bool = True) -> Plan:
    """Validate the bootstrap stack file and the stack files it names, run, then judge."""
    from bootstrap.program import main

    config = read_config(root, stack)
    spec, targets = load(root, config)
    mocks = BootstrapMocks(spec.gcp_project, spec.kms.location)
    resources, outputs = run_program(PROJECT, config, mocks, lambda: main(spec, targets))
    plan = Plan(
        project=PROJECT, stack=stack, file=config.file, resources=resources, outputs=outputs
    )
    if with_policies:
        plan.policies = judge(root, plan, root / POLICY_CONFIG)
    return plan
