"""The GCP resources of an offline plan, rendered as a Terraform plan JSON for checkov.

pulumi-gcp is bridged from the Terraform google-beta provider: each Pulumi type is one
Terraform resource type, each input is the Terraform attribute in camelCase, and a block
with at most one item is flattened to an object. Undoing those three steps gives the plan
JSON that `terraform show -json` would print on a first apply, so checkov's own
`terraform_plan` framework can judge what servestack declares.

Shape (https://developer.hashicorp.com/terraform/internals/json-format): checkov reads
`terraform_version` and `planned_values.root_module.resources[].values` and joins each
resource to `configuration.root_module.resources[].expressions` by type and name
(bridgecrewio/checkov checkov/terraform/plan_parser.py:521-534, `parse_tf_plan`); blocks
are lists of objects and maps are objects (`_hclify`, plan_parser.py:106-157); an
attribute whose value is unknown takes its `references` from the expressions
(`_add_references`, plan_parser.py:481-497), and those references are the edges of
checkov's graph checks (e.g. CKV2_GCP_18 joins a network to its firewalls).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from infra.preview.capture import COMPUTED, SECRET

TERRAFORM_VERSION = "1.9.8"
PROVIDER = "registry.terraform.io/hashicorp/google-beta"

# Pulumi type -> Terraform type, as pulumi/pulumi-gcp v9.35.0 records them in
# provider/cmd/pulumi-resource-gcp/bridge-metadata.json (`auto-aliasing.resources.<type>
# .current`); provider/resources.go sets most of them, e.g. google_container_cluster :1290.
TF_TYPES: Mapping[str, str] = {
    "gcp:artifactregistry/repository:Repository": "google_artifact_registry_repository",
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": (
        "google_artifact_registry_repository_iam_member"
    ),
    "gcp:compute/firewall:Firewall": "google_compute_firewall",
    "gcp:compute/network:Network": "google_compute_network",
    "gcp:compute/subnetwork:Subnetwork": "google_compute_subnetwork",
    "gcp:container/cluster:Cluster": "google_container_cluster",
    "gcp:container/nodePool:NodePool": "google_container_node_pool",
    "gcp:kms/cryptoKey:CryptoKey": "google_kms_crypto_key",
    "gcp:kms/keyRing:KeyRing": "google_kms_key_ring",
    "gcp:projects/iAMMember:IAMMember": "google_project_iam_member",
    "gcp:serviceaccount/account:Account": "google_service_account",
    "gcp:serviceaccount/iAMMember:IAMMember": "google_service_account_iam_member",
    # The bootstrap's (bootstrap/): same bridge-metadata.json.
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": "google_iam_workload_identity_pool",
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": (
        "google_iam_workload_identity_pool_provider"
    ),
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": "google_kms_crypto_key_iam_member",
    "gcp:projects/service:Service": "google_project_service",
    "gcp:storage/bucket:Bucket": "google_storage_bucket",
    "gcp:storage/bucketIAMMember:BucketIAMMember": "google_storage_bucket_iam_member",
}

# Attributes of schema.TypeMap in the provider: objects in the plan, keys kept verbatim
# (terraform-provider-google-beta v7.45.0: resource_labels, resource_container_cluster.go;
# node_config labels/metadata/resource_labels, node_config.go; labels on the registry,
# resource_artifact_registry_repository.go).
MAP_ATTRIBUTES = frozenset(
    {
        "attributeMapping",  # resource_iam_workload_identity_pool_provider.go
        "labels",
        "metadata",
        "resourceLabels",
        "resourceManagerTags",
        "sysctls",
        "userLabels",
    }
)

# List blocks whose Pulumi name the bridge made plural; every other input is the Terraform
# name in camelCase. From the same bridge-metadata.json, which lists each Terraform block
# with `maxItemsOne` (true: flattened to an object in Pulumi, a one-item list here).
LIST_RENAMES: Mapping[str, str] = {
    "allows": "allow",
    "denies": "deny",
    "guestAccelerators": "guest_accelerator",
    "lifecycleRules": "lifecycle_rule",
    "maintenanceExclusions": "maintenance_exclusion",
    "nodePools": "node_pool",
    "secondaryIpRanges": "secondary_ip_range",
    "taints": "taint",
}

# Which attribute a reference to a resource of this type names, by the input that holds it.
_REFERENCED_ATTRIBUTE = {"google_service_account": "email"}

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
_ADDRESS_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


class UnmappedResourceError(ValueError):
    """A GCP resource type with no Terraform type known to the renderer."""


def snake(name: str) -> str:
    """camelCase to snake_case: `masterIpv4CidrBlock` -> `master_ipv4_cidr_block`."""
    return _CAMEL.sub(r"_\1", name).lower()


def tf_name(name: str) -> str:
    """The Terraform attribute of a pulumi-gcp input: `guestAccelerators` -> `guest_accelerator`."""
    return LIST_RENAMES.get(name) or snake(name)


def address_of(resource: Mapping[str, Any]) -> str:
    return f"{TF_TYPES[str(resource['type'])]}.{_ADDRESS_UNSAFE.sub('_', str(resource['name']))}"


def _is_value(value: Any) -> bool:
    return value not in (COMPUTED, SECRET)


def _render(value: Any, key: str) -> Any:
    """One input value in Terraform's shape: blocks become one-item lists, maps stay objects."""
    if isinstance(value, Mapping):
        if key in MAP_ATTRIBUTES:
            return {str(k): v for k, v in sorted(value.items()) if _is_value(v)}
        return [_block(value)]
    if isinstance(value, list):
        return [_block(v) if isinstance(v, Mapping) else v for v in value if _is_value(v)]
    return value


def _block(inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {tf_name(k): _render(v, k) for k, v in sorted(inputs.items()) if _is_value(v)}


def _identities(resource: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(value, attribute) pairs by which another resource's input can point at this one."""
    inputs = resource.get("inputs") or {}
    tf_type = TF_TYPES[str(resource["type"])]
    attribute = _REFERENCED_ATTRIBUTE.get(tf_type, "id")
    found = [(str(inputs[k]), attribute) for k in ("name", "repositoryId") if inputs.get(k)]
    if inputs.get("accountId"):
        found.append((f"{inputs['accountId']}@", "email"))
    return found


def _points_at(value: str, identity: str) -> bool:
    if identity.endswith("@"):
        return value.startswith(identity) or f":{identity}" in value
    return value == identity or value.endswith(f"/{identity}")


def _references(inputs: Mapping[str, Any], targets: list[tuple[str, str, str]]) -> dict[str, Any]:
    """Expressions for inputs that name a resource of the same plan; nested like the blocks."""
    expressions: dict[str, Any] = {}
    for key, value in sorted(inputs.items()):
        if isinstance(value, str):
            for address, identity, attribute in targets:
                if _points_at(value, identity):
                    expressions[tf_name(key)] = {"references": [f"{address}.{attribute}", address]}
                    break
        elif isinstance(value, Mapping) and key not in MAP_ATTRIBUTES:
            nested = _references(value, targets)
            if nested:
                expressions[tf_name(key)] = [nested]
    return expressions


def _without(values: dict[str, Any], expressions: Mapping[str, Any]) -> dict[str, Any]:
    """Values with referenced attributes removed: unknown until the target exists."""
    out = dict(values)
    for key, expression in expressions.items():
        if isinstance(expression, list) and isinstance(out.get(key), list) and out[key]:
            out[key] = [_without(out[key][0], expression[0]), *out[key][1:]]
        else:
            out.pop(key, None)
    return out


def _unknown(expressions: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: [_unknown(e[0])] if isinstance(e, list) else True for key, e in expressions.items()
    }


def _computed(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """`after_unknown` marks of the inputs only known after apply."""
    out: dict[str, Any] = {}
    for key, value in sorted(inputs.items()):
        if value == COMPUTED:
            out[tf_name(key)] = True
        elif isinstance(value, Mapping) and key not in MAP_ATTRIBUTES:
            nested = _computed(value)
            if nested:
                out[tf_name(key)] = [nested]
    return out


def gcp_resources(resources: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The custom GCP resources of a plan, each with a known Terraform type."""
    found = [r for r in resources if str(r.get("type", "")).startswith("gcp:")]
    for resource in found:
        if resource["type"] not in TF_TYPES:
            raise UnmappedResourceError(
                f"{resource['urn']}: no Terraform type for {resource['type']} in TF_TYPES"
            )
    return found


def render_plan(plan: Mapping[str, Any]) -> dict[str, Any]:
    """The Terraform plan JSON of a plan's GCP resources, every one created."""
    resources = gcp_resources(plan.get("resources") or [])
    by_urn = {str(r["urn"]): r for r in resources}
    planned: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    configuration: list[dict[str, Any]] = []
    for resource in sorted(resources, key=address_of):
        address = address_of(resource)
        tf_type, name = address.split(".", 1)
        options = resource.get("options") or {}
        targets = [
            (address_of(by_urn[urn]), identity, attribute)
            for urn in options.get("dependencies") or []
            if urn in by_urn
            for identity, attribute in _identities(by_urn[urn])
        ]
        inputs = resource.get("inputs") or {}
        expressions = _references(inputs, targets)
        values = _without(_block(inputs), expressions)
        head = {"address": address, "mode": "managed", "type": tf_type, "name": name}
        planned.append({**head, "provider_name": PROVIDER, "schema_version": 0, "values": values})
        changes.append(
            {
                **head,
                "provider_name": PROVIDER,
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": values,
                    "after_unknown": {**_computed(inputs), **_unknown(expressions)},
                },
            }
        )
        configuration.append(
            {**head, "provider_config_key": "google-beta", "expressions": expressions}
        )
    return {
        "format_version": "1.2",
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {"google-beta": {"name": "google-beta", "full_name": PROVIDER}},
            "root_module": {"resources": configuration},
        },
    }
