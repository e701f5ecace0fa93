from __future__ import annotations

from pydantic.alias_generators import to_camel

from infra.ops.diff import (
    SECRET_SIG,
    SECRET_SIG_KEY,
    UNKNOWN,
    Action,
    diff_all,
    diff_plans,
    field_changes,
    normalise,
    render_value,
    short_urn,
)
from infra.ops.replacements import (
    SERVESTACK_KEEPERS,
    force_new_paths,
    path_matches,
    replacement_reasons,
)
from infra.platform.nodepool import FRESH_NODE_SETTINGS
from infra.platform.placement import SELECTED_NODE_LABELS
from tests.ops.plans import deployment, namespace, node_pool, plan

IMG_V1 = "europe-west4-docker.pkg.dev/p/r/tiny:v1-aaaa@sha256:1111"
IMG_V2 = "europe-west4-docker.pkg.dev/p/r/tiny:v2-bbbb@sha256:2222"


def test_identical_plans_have_no_changes() -> None:
    base = plan("dev", deployment("dev", IMG_V1), namespace("dev"))
    diff = diff_plans("dev", base, base)
    assert diff.changes == ()
    assert diff.unchanged == 2
    assert not diff.has_changes


def test_model_version_bump_is_exactly_the_image_change() -> None:
    base = plan("dev", deployment("dev", IMG_V1), namespace("dev"))
    head = plan("dev", deployment("dev", IMG_V2), namespace("dev"))
    diff = diff_plans("dev", base, head)
    assert [c.action for c in diff.changes] == [Action.UPDATE]
    (change,) = diff.changes
    assert change.type == "kubernetes:apps/v1:Deployment"
    assert [(f.path, f.old, f.new) for f in change.fields] == [
        ("spec.template.spec.containers[0].image", IMG_V1, IMG_V2)
    ]
    assert change.replacement_paths == []


def test_numbers_from_protobuf_floats_compare_equal_to_ints() -> None:
    base = plan("dev", deployment("dev", IMG_V1, replicas=2))
    head = plan("dev", deployment("dev", IMG_V1, replicas=2))
    head["resources"][0]["inputs"]["spec"]["replicas"] = 2
    assert diff_plans("dev", base, head).changes == ()


def test_guest_accelerator_change_replaces_the_node_pool() -> None:
    base = plan("dev", node_pool("dev"))
    head = plan("dev", node_pool("dev"))
    head["resources"][0]["inputs"]["nodeConfig"]["guestAccelerators"][0]["type"] = "nvidia-l4"
    (change,) = diff_plans("dev", base, head).changes
    assert change.action is Action.REPLACE
    assert change.replacement_paths == ["nodeConfig.guestAccelerators[0].type"]


def test_spot_and_machine_type_changes_replace_the_node_pool() -> None:
    base = plan("dev", node_pool("dev"))
    head = plan("dev", node_pool("dev", machine="n1-standard-16"))
    (change,) = diff_plans("dev", base, head).changes
    # GKE would resize in place, but the machine type is a keeper of servestack's pool name.
    assert change.action is Action.REPLACE
    assert change.replacement_paths == ["nodeConfig.machineType"]
    head["resources"][0]["inputs"]["nodeConfig"]["spot"] = False
    (change,) = diff_plans("dev", base, head).changes
    assert change.replacement_paths == ["nodeConfig.machineType", "nodeConfig.spot"]


def test_taint_change_replaces_the_node_pool() -> None:
    base = plan("dev", node_pool("dev"))
    head = plan("dev", node_pool("dev", taint_value="shared"))
    (change,) = diff_plans("dev", base, head).changes
    assert change.action is Action.REPLACE
    assert change.replacement_paths == ["nodeConfig.taints[0].value"]
    assert replacement_reasons("gcp:container/nodePool:NodePool", ["nodeConfig.taints[1]"]) == [
        "nodeConfig.taints[1]"
    ]


def test_renamed_node_pool_is_a_replacement() -> None:
    base = plan("dev", node_pool("dev"))
    base["resources"][0]["inputs"]["name"] = "gpu-t4-aaaaaa"
    head = plan("dev", node_pool("dev"))
    head["resources"][0]["inputs"]["name"] = "gpu-t4-bbbbbb"
    (change,) = diff_plans("dev", base, head).changes
    assert change.action is Action.REPLACE
    assert change.replacement_paths == ["name"]


def test_in_place_node_pool_settings_stay_updates() -> None:
    base = plan("dev", node_pool("dev"))
    head = plan("dev", node_pool("dev"))
    config = head["resources"][0]["inputs"]["nodeConfig"]
    config["labels"]["cost-center"] = "cc-2"
    config["resourceLabels"] = {"cost-center": "cc-2"}
    head["resources"][0]["inputs"]["autoscaling"] = {"totalMaxNodeCount": 9.0}
    (change,) = diff_plans("dev", base, head).changes
    assert change.action is Action.UPDATE
    assert change.replacement_paths == []
    config["labels"]["servestack.io/accelerator"] = "nvidia-l4"
    (change,) = diff_plans("dev", base, head).changes
    assert change.replacement_paths == ["nodeConfig.labels.servestack.io/accelerator"]


def test_adding_a_gpu_taint_with_its_accelerator_is_a_replacement() -> None:
    base = plan("dev", node_pool("dev"))
    cpu = base["resources"][0]["inputs"]["nodeConfig"]
    del cpu["guestAccelerators"], cpu["taints"]
    head = plan("dev", node_pool("dev"))
    (change,) = diff_plans("dev", base, head).changes
    assert change.action is Action.REPLACE
    assert change.replacement_paths == ["nodeConfig.guestAccelerators", "nodeConfig.taints"]


def test_keeper_paths_match_the_hashed_node_settings() -> None:
    expected = {
        *(f"nodeConfig.{to_camel(f)}" for f in FRESH_NODE_SETTINGS),
        *(f"nodeConfig.labels.{label}" for label in SELECTED_NODE_LABELS),
    }
    assert set(SERVESTACK_KEEPERS["gcp:container/nodePool:NodePool"]) == expected
    assert "name" in force_new_paths("gcp:container/nodePool:NodePool")


def test_kubernetes_selector_and_name_force_replacement() -> None:
    base = plan("dev", deployment("dev", IMG_V1))
    head = plan("dev", deployment("dev", IMG_V1))
    head["resources"][0]["inputs"]["spec"]["selector"]["matchLabels"]["extra"] = "x"
    head["resources"][0]["inputs"]["metadata"]["namespace"] = "models"
    (change,) = diff_plans("dev", base, head).changes
    assert change.action is Action.REPLACE
    assert change.replacement_paths == [
        "metadata.namespace",
        "spec.selector.matchLabels.extra",
    ]


def test_added_and_removed_resources_and_new_stack() -> None:
    base = plan("dev", namespace("dev"))
    head = plan("dev", deployment("dev", IMG_V1))
    diff = diff_plans("dev", base, head)
    assert [(c.action, c.name) for c in diff.changes] == [
        (Action.CREATE, "tiny-stable"),
        (Action.DELETE, "serving"),
    ]
    fresh = diff_plans("qa", None, head)
    assert fresh.new_stack and fresh.counts[Action.CREATE] == 1
    gone = diff_plans("qa", base, None)
    assert gone.removed_stack and gone.counts[Action.DELETE] == 1


def test_policy_verdicts_new_and_resolved() -> None:
    old = {"policy": "gpu-budget", "level": "mandatory", "urn": "u1", "message": "too many"}
    kept = {"policy": "labels", "level": "advisory", "urn": "u2", "message": "missing team"}
    new = {"policy": "pinned-image", "level": "mandatory", "urn": "u3", "message": "unpinned"}
    diff = diff_plans("dev", plan("dev", policies=[old, kept]), plan("dev", policies=[kept, new]))
    assert [v.policy for v in diff.policies_new] == ["pinned-image"]
    assert [v.policy for v in diff.policies_resolved] == ["gpu-budget"]
    assert [v.policy for v in diff.blocking] == ["pinned-image"]
    assert diff.has_changes


def test_secrets_compare_by_value_and_never_render() -> None:
    secret = {SECRET_SIG_KEY: SECRET_SIG, "value": "hunter2"}
    other = {SECRET_SIG_KEY: SECRET_SIG, "value": "hunter3"}
    assert field_changes(normalise({"a": secret}), normalise({"a": dict(secret)})) == []
    (change,) = field_changes(normalise({"a": secret}), normalise({"a": other}))
    assert render_value(change.old) == "[secret]" and render_value(change.new) == "[secret]"
    assert "hunter" not in repr(change)


def test_unknown_values_always_count_as_changed() -> None:
    (change,) = field_changes(normalise({"ip": "10.0.0.1"}), normalise({"ip": UNKNOWN}))
    assert render_value(change.new) == "(known after apply)"


def test_outputs_are_diffed() -> None:
    diff = diff_plans(
        "dev",
        plan("dev", outputs={"registryUrl": "a"}),
        plan("dev", outputs={"registryUrl": "b", "clusterName": "c"}),
    )
    assert [(o.path, render_value(o.old), o.new) for o in diff.outputs] == [
        ("clusterName", "(absent)", "c"),
        ("registryUrl", "a", "b"),
    ]


def test_provider_change_is_reported() -> None:
    base = plan("dev", namespace("dev"))
    head = plan("dev", namespace("dev"))
    head["resources"][0]["provider"] = "urn:other"
    (change,) = diff_plans("dev", base, head).changes
    assert change.fields[0].path == "(provider)"


def test_diff_all_keeps_order_and_errors() -> None:
    diffs = diff_all(
        {"dev": plan("dev"), "prod": plan("prod")},
        {"dev": plan("dev")},
        errors={("head", "prod"): "stack file invalid"},
        order=["dev", "prod"],
    )
    assert [d.stack for d in diffs] == ["dev", "prod"]
    assert diffs[1].head_error == "stack file invalid" and not diffs[1].removed_stack


def test_path_matching_rules() -> None:
    assert path_matches("spec.selector.matchLabels.a", "spec.selector")
    assert path_matches("nodeConfig.guestAccelerators[3].count", "nodeConfig.guestAccelerators")
    assert path_matches("nodeConfig", "nodeConfig.spot")
    assert not path_matches("spec.selectorX", "spec.selector")
    assert not path_matches("metadata.labels", "metadata.name")
    assert path_matches("anything", "*")
    assert "metadata.name" in force_new_paths("kubernetes:core/v1:Service")
    assert "spec.clusterIP" in force_new_paths("kubernetes:core/v1:Service")
    assert force_new_paths("docker-build:index:Image") == ()
    assert replacement_reasons("gcp:container/cluster:Cluster", ["location", "releaseChannel"]) == [
        "location"
    ]
    assert replacement_reasons(
        "gcp:container/cluster:Cluster", ["privateClusterConfig.masterIpv4CidrBlock"]
    ) == ["privateClusterConfig.masterIpv4CidrBlock"]


def test_render_value_and_short_urn() -> None:
    assert render_value("x" * 300, limit=10) == "x" * 9 + "…"
    assert render_value({"b": 1, "a": [1]}) == '{"a": [1], "b": 1}'
    assert render_value("line1\nline2") == "'line1\\nline2'"
    urn = "urn:pulumi:dev::servestack::servestack:ModelService$kubernetes:apps/v1:Deployment::tiny"
    assert short_urn(urn) == "kubernetes:apps/v1:Deployment::tiny"
