"""Regions, their zones, and the zones that offer each accelerator: one shipped table.

Compiled on `AS_OF` from https://cloud.google.com/compute/docs/regions-zones (regions and
zones) and https://cloud.google.com/compute/docs/gpus/gpu-regions-zones (GPUs by zone).
Availability changes; a stack that needs a zone this table lacks overrides the accelerator's
zones with `cluster.acceleratorZones`. Other checks (e.g. gcp:region, cluster.location)
take their region and zone lists from `known_regions()` and `zones_of()`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from infra.gke import Violation

AS_OF = "2026-12-01"
ZONES_DOCS = "https://cloud.google.com/compute/docs/regions-zones"
GPU_ZONES_DOCS = "https://cloud.google.com/compute/docs/gpus/gpu-regions-zones"


def _zones(region: str, letters: str) -> tuple[str, ...]:
    return tuple(f"{region}-{letter}" for letter in letters)


# Region -> its zones.
REGION_ZONES: Mapping[str, tuple[str, ...]] = {
    region: _zones(region, letters)
    for region, letters in {
        "africa-south1": "abc",
        "asia-east1": "abc",
        "asia-east2": "abc",
        "asia-northeast1": "abc",
        "asia-northeast2": "abc",
        "asia-northeast3": "abc",
        "asia-south1": "abc",
        "asia-south2": "abc",
        "asia-southeast1": "abc",
        "asia-southeast2": "abc",
        "australia-southeast1": "abc",
        "australia-southeast2": "abc",
        "europe-central2": "abc",
        "europe-north1": "abc",
        "europe-north2": "abc",
        "europe-southwest1": "abc",
        "europe-west1": "bcd",
        "europe-west2": "abc",
        "europe-west3": "abc",
        "europe-west4": "abc",
        "europe-west6": "abc",
        "europe-west8": "abc",
        "europe-west9": "abc",
        "europe-west10": "abc",
        "europe-west12": "abc",
        "me-central1": "abc",
        "me-central2": "abc",
        "me-west1": "abc",
        "northamerica-northeast1": "abc",
        "northamerica-northeast2": "abc",
        "northamerica-south1": "abc",
        "southamerica-east1": "abc",
        "southamerica-west1": "abc",
        "us-central1": "abcf",
        "us-east1": "bcd",
        "us-east4": "abc",
        "us-east5": "abc",
        "us-south1": "abc",
        "us-west1": "abc",
        "us-west2": "abc",
        "us-west3": "abc",
        "us-west4": "abc",
    }.items()
}

# Accelerator -> zones that offer it (subset of the regions above).
ACCELERATOR_ZONES: Mapping[str, tuple[str, ...]] = {
    "nvidia-l4": (
        *_zones("asia-southeast1", "abc"),
        *_zones("europe-west1", "bc"),
        *_zones("europe-west4", "abc"),
        *_zones("us-central1", "abc"),
        *_zones("us-east1", "bcd"),
        *_zones("us-east4", "ac"),
        *_zones("us-west1", "abc"),
    ),
    "nvidia-tesla-t4": (
        *_zones("asia-southeast1", "abc"),
        *_zones("europe-west1", "bcd"),
        *_zones("europe-west4", "abc"),
        *_zones("us-central1", "abcf"),
        *_zones("us-east1", "cd"),
        *_zones("us-west1", "ab"),
    ),
    "nvidia-tesla-v100": (*_zones("europe-west4", "abc"), *_zones("us-central1", "abcf")),
    "nvidia-tesla-p4": (*_zones("europe-west4", "bc"), *_zones("us-central1", "ac")),
    "nvidia-tesla-p100": (*_zones("europe-west1", "bd"), *_zones("us-central1", "cf")),
    "nvidia-tesla-a100": (
        *_zones("asia-southeast1", "bc"),
        *_zones("europe-west4", "ab"),
        *_zones("us-central1", "abcf"),
    ),
    "nvidia-a100-80gb": (*_zones("europe-west4", "a"), *_zones("us-central1", "ac")),
    "nvidia-h100-80gb": (*_zones("europe-west4", "bc"), *_zones("us-central1", "ac")),
    "nvidia-h100-mega-80gb": (*_zones("europe-west4", "b"), *_zones("us-central1", "a")),
    "nvidia-h200-141gb": (*_zones("us-central1", "b"),),
}


def known_regions() -> tuple[str, ...]:
    """Every region of the shipped table, sorted."""
    return tuple(sorted(REGION_ZONES))


def zones_of(region: str) -> tuple[str, ...]:
    """The zones of `region`; empty for a region the table does not know."""
    return REGION_ZONES.get(region, ())


def region_of(location: str) -> str:
    """The region of a region or zone name (europe-west4-a -> europe-west4)."""
    return location if location in REGION_ZONES else location.rsplit("-", 1)[0]


def pool_zones(location: str) -> tuple[str, ...]:
    """Zones a pool's nodes may run in: the zone itself, or every zone of the region."""
    return zones_of(location) if location in REGION_ZONES else (location,)


def check_accelerator_zones(
    accelerator: str, location: str, overrides: Mapping[str, Sequence[str]] | None = None
) -> list[Violation]:
    """Every zone the pool may use offers the accelerator (table or stack-file override)."""
    if region_of(location) not in REGION_ZONES:
        return [Violation("location", f"unknown region {region_of(location)!r} ({ZONES_DOCS})")]
    offered = set((overrides or {}).get(accelerator, ACCELERATOR_ZONES.get(accelerator, ())))
    missing = [zone for zone in pool_zones(location) if zone not in offered]
    if not missing:
        return []
    return [
        Violation(
            "type",
            f"{accelerator} is not offered in {', '.join(missing)} (table of {AS_OF}, "
            f"{GPU_ZONES_DOCS}); override with cluster.acceleratorZones",
        )
    ]
