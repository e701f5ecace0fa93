"""checkov's own `terraform_plan` framework on every GKE stack's GCP resources."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pulumi_gcp
import pytest

from infra.ops.checkov_gcp import (
    CHECKOV,
    DOC,
    GKE_STACKS,
    StackReport,
    config_skips,
    judge,
    render_doc,
    results_by_file,
    run_checkov,
    scoped_skips,
    write_tfplan,
)
from infra.preview.engine import run_offline
from infra.preview.stackfile import load_spec
from infra.preview.tfplan import UnmappedResourceError, render_plan
from tests.platform.conftest import ROOT, cluster_with, run_platform, variant

CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
SUBNET = "gcp:compute/subnetwork:Subnetwork"

needs_checkov = pytest.mark.skipif(
    not CHECKOV.exists(),
    reason=f"checkov lives in its own venv ({CHECKOV.parent.parent}); `make` creates it",
)


@pytest.fixture(scope="module")
def plans() -> dict[str, dict[str, Any]]:
    """Every GKE stack's plan, and the day-0 bootstrap's as `bootstrap-<name>`."""
    from bootstrap.loader import available
    from bootstrap.preview import run_bootstrap_offline

    found = {s: run_offline(ROOT, s, with_policies=False).to_json() for s in GKE_STACKS}
    for name in available(ROOT):
        found[f"bootstrap-{name}"] = run_bootstrap_offline(
            ROOT, name, with_policies=False
        ).to_json()
    return found


@pytest.fixture(scope="module")
def reports(
    plans: dict[str, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> list[StackReport]:
    if not CHECKOV.exists():
        pytest.skip("checkov lives in its own venv; `make checkov-env` creates it")
    directory = tmp_path_factory.mktemp("tfplan")
    written = {
        s: (
            load_spec(ROOT, s) if s in GKE_STACKS else None,
            write_tfplan(plans[s], directory / f"{s}.json"),
        )
        for s in plans
    }
    return judge(written, directory, (ROOT / ".checkov.yaml").read_text())


def _of(plan: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return [r for r in plan["resources"] if r["type"] == rtype]


# ----------------------------------------------------------------- checkov


@needs_checkov
def test_every_gke_stack_passes_checkov(reports: list[StackReport]) -> None:
    for report in reports:
        assert report.parsing_errors == 0
        assert [f"{f.check} {f.resource}" for f in report.failed] == [], report.stack
        minimum = 25 if report.stack in GKE_STACKS else 10  # the bootstrap has no cluster
        assert len({r.check for r in report.results if r.passed}) >= minimum, report.stack


@needs_checkov
def test_every_skip_still_hides_a_failure(reports: list[StackReport]) -> None:
    """A skip whose check now passes must go: the skip list stays honest."""
    for report in reports:
        assert report.stale_skips == [], report.stack
    prod = next(r for r in reports if r.stack == "prod")
    assert "CKV_GCP_66" not in prod.skipped
    assert {r.check for r in prod.results if r.passed} >= {"CKV_GCP_66", "CKV_GCP_7"}


@needs_checkov
def test_doc_is_generated_from_the_run(reports: list[StackReport]) -> None:
    assert DOC.read_text() == render_doc(reports), "run `make checkov-gcp-doc`"


def _flip(plan: dict[str, Any], rtype: str, path: str, value: Any, index: int = 0) -> None:
    # Subnet flips act on the node subnet, not on the Gateway's proxy-only subnet.
    candidates = [r for r in _of(plan, rtype) if rtype != SUBNET or "purpose" not in r["inputs"]]
    inputs = candidates[index]["inputs"]
    *parents, leaf = path.split(".")
    for key in parents:
        inputs = inputs[key]
    if value is None:
        del inputs[leaf]
    else:
        inputs[leaf] = value


FLIPS = {
    "abac-on": (CLUSTER, "enableLegacyAbac", True, {"CKV_GCP_7"}),
    # checkov reads private nodes from the presence of the block (GKEPrivateNodes.py).
    "public-nodes": (CLUSTER, "privateClusterConfig", None, {"CKV_GCP_25", "CKV_GCP_64"}),
    "client-cert": (
        CLUSTER,
        "masterAuth.clientCertificateConfig.issueClientCertificate",
        True,
        {"CKV_GCP_13"},
    ),
    "no-secure-boot": (
        NODE_POOL,
        "nodeConfig.shieldedInstanceConfig.enableSecureBoot",
        False,
        {"CKV_GCP_68"},
    ),
    "no-auto-repair": (NODE_POOL, "management.autoRepair", False, {"CKV_GCP_9"}),
    "no-flow-logs": (SUBNET, "logConfig", None, {"CKV_GCP_26"}),
    "no-labels": (CLUSTER, "resourceLabels", None, {"CKV_GCP_21"}),
}


@needs_checkov
def test_a_flipped_setting_fails_its_check(
    plans: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """The rendering is faithful: weaken one setting and checkov's matching check fails."""
    for name, (rtype, path, value, _) in FLIPS.items():
        plan = copy.deepcopy(plans["prod"])
        _flip(plan, rtype, path, value)
        write_tfplan(plan, tmp_path / f"{name}.json")
    write_tfplan(plans["prod"], tmp_path / "prod.json")
    by_file = results_by_file(run_checkov(tmp_path))
    baseline = {r.check for r in by_file["prod.json"] if not r.passed}
    for name, (_, _, _, checks) in FLIPS.items():
        failed = {r.check for r in by_file[f"{name}.json"] if not r.passed}
        assert failed - baseline == checks, name


@needs_checkov
def test_a_stack_without_private_nodes_fails_checkov(tmp_path: Path) -> None:
    """Through the real program: the stack setting, not a hand edit of the plan."""
    spec = variant("prod", cluster=cluster_with("prod", private={"enabled": False}))
    run = run_platform(spec)
    write_tfplan({"resources": [r.to_json() for r in run.resources]}, tmp_path / "public.json")
    failed = {
        r.check for r in results_by_file(run_checkov(tmp_path))["public.json"] if not r.passed
    }
    assert {"CKV_GCP_25", "CKV_GCP_64"} <= failed


# ----------------------------------------------------------------- rendering


def _getter_names(module: str) -> dict[str, str]:
    """camelCase input -> Python property of the pulumi-gcp SDK (its snake_case Terraform name)."""
    source = (Path(pulumi_gcp.__file__).parent / module).read_text()
    pairs = re.findall(r'@pulumi\.getter\(name="(\w+)"\)\s+def (\w+)\(', source)
    return dict(pairs)


def _keys(value: Any, skip_maps: frozenset[str]) -> set[str]:
    if isinstance(value, dict):
        out: set[str] = set()
        for key, item in value.items():
            out.add(key)
            if key not in skip_maps:
                out |= _keys(item, skip_maps)
        return out
    if isinstance(value, list):
        return set().union(*(_keys(v, skip_maps) for v in value)) if value else set()
    return set()


def test_attribute_names_match_the_sdk(plans: dict[str, dict[str, Any]]) -> None:
    """Every camelCase input renders to pulumi-gcp's own snake_case name for it, which is
    the Terraform name except where the bridge made a list block's name plural."""
    from infra.preview.tfplan import LIST_RENAMES, MAP_ATTRIBUTES, tf_name

    sdk: dict[str, str] = {}
    for module in ("container", "compute", "artifactregistry", "serviceaccount", "projects"):
        for file in ("_inputs.py", "cluster.py", "node_pool.py", "subnetwork.py"):
            if (Path(pulumi_gcp.__file__).parent / module / file).exists():
                sdk |= _getter_names(f"{module}/{file}")
    keys = set().union(*(_keys(r["inputs"], MAP_ATTRIBUTES) for r in plans["prod"]["resources"]))
    named = {k for k in keys if k in sdk}
    assert len(named) > 40
    plain = named - set(LIST_RENAMES)
    assert {k: tf_name(k) for k in plain} == {k: sdk[k] for k in plain}
    for pulumi_name in named & set(LIST_RENAMES):
        assert sdk[pulumi_name].startswith(tf_name(pulumi_name)[:-1]), pulumi_name
    assert {"guestAccelerators", "secondaryIpRanges"} <= named


def _resource(document: dict[str, Any], address: str) -> dict[str, Any]:
    resources = document["planned_values"]["root_module"]["resources"]
    found: dict[str, Any] = next(r for r in resources if r["address"] == address)
    return found


def test_blocks_are_lists_and_maps_stay_objects(plans: dict[str, dict[str, Any]]) -> None:
    document = render_plan(plans["prod"])
    cluster = _resource(document, "google_container_cluster.platform-cluster-gke")["values"]
    assert cluster["private_cluster_config"][0]["enable_private_nodes"] is True
    assert cluster["master_auth"] == [
        {"client_certificate_config": [{"issue_client_certificate": False}]}
    ]
    assert cluster["resource_labels"]["cost-center"] == "cc-4120"
    pool = _resource(document, "google_container_node_pool.platform-gpu-l4-pool")["values"]
    node = pool["node_config"][0]
    assert node["metadata"] == {"disable-legacy-endpoints": "true"}
    assert node["labels"]["servestack.io/accelerator"] == "nvidia-l4"
    assert node["taint"][0]["key"] == "nvidia.com/gpu"
    assert node["guest_accelerator"][0]["gpu_driver_installation_config"] == [
        {"gpu_driver_version": "LATEST"}
    ]
    again = render_plan(plans["prod"])
    assert json.dumps(document, sort_keys=True) == json.dumps(again, sort_keys=True)


def test_references_become_unknown_values_with_expressions(
    plans: dict[str, dict[str, Any]],
) -> None:
    """A first apply does not know the network's id: the subnet names it by reference."""
    document = render_plan(plans["prod"])
    subnet = _resource(document, "google_compute_subnetwork.platform-net-subnet")
    assert "network" not in subnet["values"]
    configuration = document["configuration"]["root_module"]["resources"]
    expressions = next(r for r in configuration if r["address"] == subnet["address"])
    assert expressions["expressions"]["network"]["references"] == [
        "google_compute_network.platform-net-vpc.id",
        "google_compute_network.platform-net-vpc",
    ]
    pool = next(r for r in configuration if r["name"] == "platform-cpu-pool")
    account = pool["expressions"]["node_config"][0]["service_account"]["references"]
    assert account[0] == "google_service_account.platform-nodes-sa.email"


def test_an_unmapped_gcp_type_is_refused(plans: dict[str, dict[str, Any]]) -> None:
    plan = copy.deepcopy(plans["dev"])
    plan["resources"].append({"urn": "urn:x", "type": "gcp:pubsub/topic:Topic", "name": "b"})
    with pytest.raises(UnmappedResourceError, match="gcp:pubsub/topic:Topic"):
        render_plan(plan)


def test_config_skips_carry_their_reasons() -> None:
    skips = config_skips((ROOT / ".checkov.yaml").read_text())
    day0 = {"CKV_GCP_41", "CKV_GCP_49", "CKV_GCP_62", "CKV_GCP_125"}
    assert set(skips) == {"CKV_GCP_65", "CKV_GCP_84", "CKV2_GCP_18", *day0}
    assert all(len(reason) > 40 for reason in skips.values())
    # `bootstrap:` skips hold for the day-0 plan only: the GKE stacks are judged unskipped.
    assert set(scoped_skips(skips, bootstrap=False)) == {"CKV_GCP_65", "CKV_GCP_84", "CKV2_GCP_18"}
    assert set(scoped_skips(skips, bootstrap=True)) == set(skips)
    assert not any(r.startswith("bootstrap:") for r in scoped_skips(skips, True).values())
    with pytest.raises(ValueError, match="needs `# reason`"):
        config_skips("skip-check:\n  - CKV_GCP_65\n")
