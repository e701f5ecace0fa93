"""Replacement rules from the provider's source, and `ignoreChanges`, as `servestack diff` sees."""

from __future__ import annotations

import copy
import ipaddress
import re
from pathlib import Path
from typing import Any

import pytest

from infra.ops.diff import Action, ResourceChange, diff_plans
from infra.ops.ignore_changes import BadPathError, ignoring_changes, parse_path
from infra.ops.replacements import (
    GCP_RULES,
    KUBE_FORCE_NEW,
    cidr_shrinks_or_moves,
    force_new_paths,
    rules_of,
)
from infra.preview.engine import run_offline

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
NETWORK = "gcp:compute/network:Network"
SUBNET = "gcp:compute/subnetwork:Subnetwork"


@pytest.fixture(scope="module")
def prod() -> dict[str, Any]:
    """The captured prod plan: real inputs and the options each resource was declared with."""
    return run_offline(ROOT, "prod", with_policies=False).to_json()


def _edit(plan: dict[str, Any], rtype: str, path: str, value: Any, index: int = 0) -> None:
    inputs = [r for r in plan["resources"] if r["type"] == rtype][index]["inputs"]
    *parents, leaf = path.split(".")
    for key in parents:
        inputs = inputs.setdefault(key, {})
    if value is None:
        inputs.pop(leaf, None)
    else:
        inputs[leaf] = value


def _change(base: dict[str, Any], rtype: str, path: str, value: Any) -> ResourceChange | None:
    head = copy.deepcopy(base)
    _edit(head, rtype, path, value)
    found = [c for c in diff_plans("prod", base, head).changes if c.type == rtype]
    return found[0] if found else None


def _without_ignore_changes(plan: dict[str, Any]) -> dict[str, Any]:
    bare = copy.deepcopy(plan)
    for resource in bare["resources"]:
        resource["options"].pop("ignoreChanges", None)
    return bare


# ------------------------------------------------------------- issue cases


def test_client_certificate_toggle_replaces_the_cluster(prod: dict[str, Any]) -> None:
    path = "masterAuth.clientCertificateConfig.issueClientCertificate"
    change = _change(prod, CLUSTER, path, True)
    assert change is not None and change.action is Action.REPLACE
    assert change.replacement_paths == [path]


def test_network_description_replaces_the_network(prod: dict[str, Any]) -> None:
    change = _change(prod, NETWORK, "description", "another text")
    assert change is not None and change.action is Action.REPLACE
    assert _change(prod, NETWORK, "routingMode", "GLOBAL").action is Action.UPDATE  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("cidr", "action"),
    [
        ("10.30.0.0/19", Action.UPDATE),  # expansion: the old /20 lies inside
        ("10.30.0.0/16", Action.UPDATE),
        ("10.30.0.0/21", Action.REPLACE),  # shrink
        ("10.40.0.0/20", Action.REPLACE),  # move, same size
        ("10.30.16.0/19", Action.UPDATE),  # 10.30.0.0/19 normalised: still contains the old
        ("10.31.0.0/19", Action.REPLACE),  # larger, but elsewhere
    ],
)
def test_subnet_range_expansion_is_in_place_anything_else_replaces(
    prod: dict[str, Any], cidr: str, action: Action
) -> None:
    # The node subnet alone: the proxy-only subnet of the Gateway is a Subnetwork too.
    nodes = [r for r in prod["resources"] if r["type"] != SUBNET or r["name"].endswith("-subnet")]
    prod = {**prod, "resources": nodes}
    subnet = next(r for r in prod["resources"] if r["type"] == SUBNET)
    assert subnet["inputs"]["ipCidrRange"] == "10.30.0.0/20"
    change = _change(prod, SUBNET, "ipCidrRange", cidr)
    assert change is not None and change.action is action


def test_cidr_rule_against_the_supernet_relation() -> None:
    for text in ("10.0.0.0/24", "192.168.4.0/22", "172.16.0.32/28"):
        network = ipaddress.ip_network(text)
        for prefix in range(8, network.prefixlen + 1):
            assert not cidr_shrinks_or_moves(text, str(network.supernet(new_prefix=prefix)))
        for smaller in network.subnets(prefixlen_diff=1):
            assert cidr_shrinks_or_moves(text, str(smaller))
    assert cidr_shrinks_or_moves("10.0.0.0/24", "fd00::/8")
    assert not cidr_shrinks_or_moves("not-a-cidr", "10.0.0.0/8")  # upstream leaves it in place


@pytest.mark.parametrize("field", ["enablePrivateEndpoint", "enablePrivateNodes"])
def test_private_cluster_toggles_update_in_place(prod: dict[str, Any], field: str) -> None:
    cluster = next(r for r in prod["resources"] if r["type"] == CLUSTER)
    current = cluster["inputs"]["privateClusterConfig"][field]
    change = _change(prod, CLUSTER, f"privateClusterConfig.{field}", not current)
    assert change is not None and change.action is Action.UPDATE
    block = _change(prod, CLUSTER, "privateClusterConfig.masterIpv4CidrBlock", "172.16.1.0/28")
    assert block is not None and block.action is Action.REPLACE


def test_cluster_node_config_is_narrowed_to_its_force_new_fields(prod: dict[str, Any]) -> None:
    """Without servestack's ignoreChanges: a machine type is in place, an account is not."""
    bare = _without_ignore_changes(prod)
    machine = _change(bare, CLUSTER, "nodeConfig.machineType", "e2-medium")
    assert machine is not None and machine.action is Action.UPDATE
    account = _change(bare, CLUSTER, "nodeConfig.serviceAccount", "other@p.iam.gserviceaccount.com")
    assert account is not None and account.action is Action.REPLACE
    # Optional+Computed: a dropped block keeps the provider's value; an added one replaces
    # through the ForceNew fields it sets.
    removed = _change(bare, CLUSTER, "nodeConfig", None)
    assert removed is not None and removed.action is Action.UPDATE
    head = copy.deepcopy(bare)
    _edit(head, CLUSTER, "nodeConfig", None)
    added = [c for c in diff_plans("prod", head, bare).changes if c.type == CLUSTER]
    assert added[0].replacement_paths == ["nodeConfig"]
    # A ForceNew field dropped inside the block still replaces.
    dropped = _change(bare, CLUSTER, "nodeConfig.oauthScopes", None)
    assert dropped is not None and dropped.replacement_paths == ["nodeConfig.oauthScopes"]


def test_node_pool_entries_are_upstreams() -> None:
    provider = {r.path for r in GCP_RULES[NODE_POOL]}
    assert {"nodeConfig.gvnic", "nodeConfig.gcfsConfig", "nodeConfig.confidentialNodes"}.isdisjoint(
        provider
    )
    assert "nodeConfig.confidentialNodes.confidentialInstanceType" in provider
    assert {"nodeConfig.serviceAccount", "nodeConfig.guestAccelerators"} <= provider


def test_confidential_nodes_enabled_in_place_instance_type_replaces(prod: dict[str, Any]) -> None:
    enabled = _change(prod, NODE_POOL, "nodeConfig.confidentialNodes", {"enabled": True})
    # Adding a block whose own flag is not ForceNew: an update, unless a keeper is touched.
    assert enabled is not None and enabled.action is Action.UPDATE
    head = copy.deepcopy(prod)
    _edit(head, NODE_POOL, "nodeConfig.confidentialNodes", {"enabled": True})
    kind = _change(head, NODE_POOL, "nodeConfig.confidentialNodes.confidentialInstanceType", "SEV")
    assert kind is not None and kind.replacement_paths == [
        "nodeConfig.confidentialNodes.confidentialInstanceType"
    ]


def test_gvnic_is_replaced_only_through_servestacks_pool_name(prod: dict[str, Any]) -> None:
    change = _change(prod, NODE_POOL, "nodeConfig.gvnic.enabled", False)
    assert change is not None and change.action is Action.REPLACE
    sources = {
        r.source
        for r in rules_of(NODE_POOL)
        if r.path in {"nodeConfig.gvnic", "nodeConfig.gcfsConfig"}
    }
    assert sources == {"infra/platform/nodepool.py"}


# ------------------------------------------------------------- ignoreChanges


def test_ignored_paths_are_neither_updates_nor_replacements(prod: dict[str, Any]) -> None:
    """The cluster ignores `nodeConfig` and `initialNodeCount`; the pools `initialNodeCount`."""
    cluster = next(r for r in prod["resources"] if r["type"] == CLUSTER)
    assert cluster["options"]["ignoreChanges"] == ["initialNodeCount", "nodeConfig"]
    assert (
        _change(prod, CLUSTER, "nodeConfig.serviceAccount", "x@p.iam.gserviceaccount.com") is None
    )
    assert _change(prod, CLUSTER, "initialNodeCount", 3) is None
    assert _change(prod, NODE_POOL, "initialNodeCount", 3) is None
    bare = _without_ignore_changes(prod)
    change = _change(bare, NODE_POOL, "initialNodeCount", 3)
    assert change is not None and change.replacement_paths == ["initialNodeCount"]


def test_ignore_changes_still_reports_the_rest(prod: dict[str, Any]) -> None:
    head = copy.deepcopy(prod)
    _edit(head, CLUSTER, "nodeConfig.machineType", "e2-medium")
    _edit(head, CLUSTER, "description", "new words")
    (change,) = [c for c in diff_plans("prod", prod, head).changes if c.type == CLUSTER]
    assert [f.path for f in change.fields] == ["description"]
    assert change.action is Action.REPLACE


def test_property_paths() -> None:
    assert parse_path('metadata.labels["app.kubernetes.io/name"]') == [
        "metadata",
        "labels",
        "app.kubernetes.io/name",
    ]
    assert parse_path("spec.containers[0].image") == ["spec", "containers", 0, "image"]
    with pytest.raises(BadPathError):
        parse_path("spec..replicas")
    with pytest.raises(BadPathError):
        parse_path("")


def test_ignoring_changes_keeps_old_values_and_drops_new_keys() -> None:
    old = {"spec": {"replicas": 2, "containers": [{"image": "a"}, {"image": "b"}]}}
    new = {
        "spec": {"replicas": 5, "containers": [{"image": "c"}, {"image": "d"}]},
        "metadata": {"labels": {"x.y/z": "1"}},
    }
    kept = ignoring_changes(
        old, new, ["spec.replicas", "spec.containers[*].image", 'metadata.labels["x.y/z"]']
    )
    assert kept == {
        "spec": {"replicas": 2, "containers": [{"image": "a"}, {"image": "b"}]},
        "metadata": {"labels": {}},
    }
    assert new["spec"]["replicas"] == 5  # the input is not modified


# ------------------------------------------------------------- table hygiene

_CITATION = re.compile(r"^google-beta/(services/\w+|tpgiamresource)/\w+\.go:\d+$")


def test_every_gcp_rule_cites_a_provider_line() -> None:
    for rtype, rules in GCP_RULES.items():
        for rule in rules:
            assert _CITATION.match(rule.source), (rtype, rule.path, rule.source)
        paths = [r.path for r in rules]
        assert len(paths) == len(set(paths)), rtype


def test_kubernetes_entries_are_the_providers() -> None:
    assert force_new_paths("kubernetes:apps/v1:Deployment") == (
        "metadata.name",
        "metadata.namespace",
        "spec.selector",
    )
    assert KUBE_FORCE_NEW["core/v1:Secret"] == ("data", "stringData", "type")
