"""Accelerators, zones, names, labels and ranges: what GKE accepts and what it rejects."""

from __future__ import annotations

import pytest

from infra.gke.accelerators import check_accelerator
from infra.gke.cidrs import check_ranges
from infra.gke.locations import (
    ACCELERATOR_ZONES,
    check_accelerator_zones,
    known_regions,
    region_of,
    zones_of,
)
from infra.gke.names import POOL_NAME_ROOM, check_gcp_labels, check_node_labels, check_pool_name


@pytest.mark.parametrize(
    ("machine", "accelerator", "count", "message"),
    [
        (
            "n1-standard-8",
            "nvidia-tesla-t4",
            3,
            "n1 with nvidia-tesla-t4 takes 1, 2, 4 GPUs (got 3)",
        ),
        ("n1-standard-8", "nvidia-tesla-v100", 8, None),
        ("g2-standard-8", "nvidia-l4", 2, "g2-standard-8 comes with 1 nvidia-l4 (got 2)"),
        ("g2-standard-24", "nvidia-l4", 2, None),
        ("a2-highgpu-4g", "nvidia-tesla-a100", 4, None),
        ("a2-highgpu-4g", "nvidia-a100-80gb", 4, "a2-highgpu-4g comes with nvidia-tesla-a100, not"),
        ("a3-highgpu-8g", "nvidia-h100-80gb", 1, "a3-highgpu-8g comes with 8 nvidia-h100-80gb"),
        ("g2-custom-8", "nvidia-l4", 1, "g2-custom-8 is not a known g2 machine type"),
        ("n2-standard-8", "nvidia-tesla-t4", 1, "nvidia-tesla-t4 needs machine type n1-*"),
    ],
)
def test_accelerator_family_and_count(
    machine: str, accelerator: str, count: int, message: str | None
) -> None:
    found = check_accelerator(machine, accelerator, count)
    if message is None:
        assert found == []
    else:
        assert found and found[0].message.startswith(message)


def test_region_and_zone_lists_for_other_checks() -> None:
    assert "europe-west4" in known_regions()
    assert list(known_regions()) == sorted(known_regions())
    assert zones_of("us-central1") == (
        "us-central1-a",
        "us-central1-b",
        "us-central1-c",
        "us-central1-f",
    )
    assert zones_of("mars-north1") == ()
    assert region_of("europe-west4-a") == "europe-west4"
    every_zone = {z for r in known_regions() for z in zones_of(r)}
    assert {z for zones in ACCELERATOR_ZONES.values() for z in zones} <= every_zone


def test_accelerator_zones_for_zonal_and_regional_pools() -> None:
    assert check_accelerator_zones("nvidia-l4", "europe-west4") == []
    assert check_accelerator_zones("nvidia-tesla-t4", "us-west1-a") == []
    (missing,) = check_accelerator_zones("nvidia-tesla-t4", "us-west1")
    assert "not offered in us-west1-c" in missing.message
    override = {"nvidia-tesla-t4": ["us-west1-a", "us-west1-b", "us-west1-c"]}
    assert check_accelerator_zones("nvidia-tesla-t4", "us-west1", override) == []
    assert check_accelerator_zones("nvidia-l4", "mars-north1")[0].path == "location"


def test_pool_name_room_for_the_settings_hash() -> None:
    assert POOL_NAME_ROOM == 33
    assert check_pool_name("a" * 33) == []
    assert "GKE allows 40" in check_pool_name("a" * 34)[0].message


def test_label_formats() -> None:
    assert check_gcp_labels({"team": "ml", "cost-center": "cc-1"}) == []
    assert check_gcp_labels({"Team": "ml"})[0].path == "Team"
    assert check_gcp_labels({"team": "ML"})[0].path == "team"
    assert check_node_labels({"servestack.io/pool": "gpu", "workload": ""}) == []
    assert check_node_labels({"bad key": "x"})[0].path == "bad key"
    assert check_node_labels({"Example.COM/x": "y"})[0].path == "Example.COM/x"
    assert check_node_labels({"workload": "-x"})[0].path == "workload"
    assert check_node_labels({"a/" + "n" * 64: "x"})


def test_ranges_must_be_disjoint_canonical_and_master_a_28() -> None:
    ranges = {
        "subnetCidr": "10.40.0.0/20",
        "podsCidr": "10.48.0.0/14",
        "servicesCidr": "10.46.0.0/20",
    }
    assert check_ranges(ranges, "172.16.0.48/28") == []
    (overlap,) = check_ranges({**ranges, "servicesCidr": "10.49.0.0/20"}, None)
    assert (overlap.path, overlap.message.split(";")[0]) == (
        "servicesCidr",
        "10.49.0.0/20 overlaps podsCidr 10.48.0.0/14",
    )
    (host_bits, overlap) = check_ranges({**ranges, "podsCidr": "10.42.0.0/14"}, None)
    assert host_bits.message == "10.42.0.0/14 has host bits set: the range is 10.40.0.0/14"
    assert overlap.path == "podsCidr"
    assert check_ranges(ranges, "172.16.0.0/24")[0].message == "must be a /28 (got 172.16.0.0/24)"
    assert check_ranges(ranges, "10.40.0.0/28")[0].path == "masterCidr"
    assert check_ranges({"subnetCidr": "999.0.0.0/8"}, None)[0].message.startswith("not an IPv4")
