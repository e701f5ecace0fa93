"""Artifact Registry inputs: docker format, cleanup policies, immutability, protection."""

from __future__ import annotations

from infra.config.targets import gke_target
from infra.platform.registry import (
    cleanup_policies,
    registry_url,
    repository_args,
    repository_options,
)
from tests.platform.conftest import spec_of


def test_cleanup_keeps_recent_and_deletes_old_untagged() -> None:
    assert cleanup_policies(spec_of("prod").registry) == [
        {
            "id": "delete-untagged",
            "action": "DELETE",
            "condition": {"tag_state": "UNTAGGED", "older_than": f"{14 * 86400}s"},
        },
        {"id": "keep-recent", "action": "KEEP", "most_recent_versions": {"keep_count": 30}},
    ]
    dev = {p["id"]: p for p in cleanup_policies(spec_of("dev").registry)}
    assert dev["keep-recent"]["most_recent_versions"] == {"keep_count": 5}
    assert dev["delete-untagged"]["condition"]["older_than"] == "259200s"


def test_repository_is_docker_in_the_stack_region_with_labels() -> None:
    spec = spec_of("staging")
    args = repository_args(spec.registry, gke_target(spec).gcp)
    assert args["format"] == "DOCKER"
    assert args["location"] == "europe-west4"
    assert args["repository_id"] == "serving-models"
    assert args["project"] == "acme-ml-serving-staging"
    assert args["labels"] == spec.labels.as_dict()
    assert args["cleanup_policy_dry_run"] is False


def test_immutable_tags_where_the_stack_asks() -> None:
    assert repository_args(spec_of("prod").registry, gke_target(spec_of("prod")).gcp)[
        "docker_config"
    ] == {"immutable_tags": True}
    assert repository_args(spec_of("dev").registry, gke_target(spec_of("dev")).gcp)[
        "docker_config"
    ] == {"immutable_tags": False}


def test_protected_registry_survives_destroy() -> None:
    prod, staging = (
        repository_options(spec_of("prod").registry),
        repository_options(spec_of("staging").registry),
    )
    assert (prod.protect, prod.retain_on_delete) == (True, True)
    assert (staging.protect, staging.retain_on_delete) == (False, False)


def test_registry_url_shape() -> None:
    assert (
        registry_url("europe-west4", "acme", "models") == "europe-west4-docker.pkg.dev/acme/models"
    )


def test_build_cache_has_its_own_overwritable_repository_with_cleanup() -> None:
    from infra.platform.registry import cache_repository_args

    spec = spec_of("prod")
    assert repository_args(spec.registry, gke_target(spec).gcp)["docker_config"] == {
        "immutable_tags": True
    }
    cache = cache_repository_args(spec.registry, gke_target(spec).gcp)
    assert cache["repository_id"] == "serving-models-buildcache"
    assert cache["docker_config"] == {"immutable_tags": False}
    policies = {p["id"]: p for p in cache["cleanup_policies"]}
    assert policies["delete-overwritten"]["condition"] == {
        "tag_state": "UNTAGGED",
        "older_than": "86400s",
    }
    assert policies["delete-old"]["condition"]["older_than"] == f"{30 * 86400}s"
    assert policies["keep-recent"]["most_recent_versions"] == {"keep_count": 2}


def test_cache_repository_must_not_be_the_image_repository() -> None:
    import pytest

    from infra.config import ConfigError
    from tests.platform.conftest import stack_values, variant

    registry = stack_values("prod")["servestack:registry"]
    registry["buildCache"] = {"repository": registry["repository"]}
    with pytest.raises(ConfigError) as caught:
        variant("prod", registry=registry)
    assert caught.value.key == "servestack:registry.buildCache.repository"
