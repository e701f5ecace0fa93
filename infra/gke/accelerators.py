"""Which machine family carries which accelerator, and how many per machine.

Sources: https://cloud.google.com/compute/docs/gpus (GPU models and the machine types they
attach to), https://cloud.google.com/compute/docs/accelerator-optimized-machines (A2, A3,
G2: each machine type comes with a fixed number of GPUs) and
https://cloud.google.com/kubernetes-engine/docs/how-to/gpus (GKE takes the same pairs).
N1 machines take 1, 2, 4 (or 8 for V100) attached GPUs; accelerator-optimized machine
types come with their GPUs, so the pool's count must equal the machine's.
"""

from __future__ import annotations

from collections.abc import Mapping

from infra.gke import Violation

DOCS = "https://cloud.google.com/compute/docs/gpus"

# Accelerator type -> the machine families that can carry it on GKE.
GPU_MACHINE_FAMILIES: Mapping[str, tuple[str, ...]] = {
    "nvidia-tesla-t4": ("n1",),
    "nvidia-tesla-v100": ("n1",),
    "nvidia-tesla-p4": ("n1",),
    "nvidia-tesla-p100": ("n1",),
    "nvidia-l4": ("g2",),
    "nvidia-tesla-a100": ("a2",),
    "nvidia-a100-80gb": ("a2",),
    "nvidia-h100-80gb": ("a3",),
    "nvidia-h100-mega-80gb": ("a3",),
    "nvidia-h200-141gb": ("a3",),
}

# N1: counts of attachable GPUs per accelerator.
N1_COUNTS: Mapping[str, tuple[int, ...]] = {
    "nvidia-tesla-t4": (1, 2, 4),
    "nvidia-tesla-p4": (1, 2, 4),
    "nvidia-tesla-p100": (1, 2, 4),
    "nvidia-tesla-v100": (1, 2, 4, 8),
}

# Accelerator-optimized machine types: (accelerator, GPUs the machine comes with).
FIXED_GPUS: Mapping[str, tuple[str, int]] = {
    **{f"g2-standard-{n}": ("nvidia-l4", 1) for n in (4, 8, 12, 16, 32)},
    "g2-standard-24": ("nvidia-l4", 2),
    "g2-standard-48": ("nvidia-l4", 4),
    "g2-standard-96": ("nvidia-l4", 8),
    **{f"a2-highgpu-{n}g": ("nvidia-tesla-a100", n) for n in (1, 2, 4, 8)},
    "a2-megagpu-16g": ("nvidia-tesla-a100", 16),
    **{f"a2-ultragpu-{n}g": ("nvidia-a100-80gb", n) for n in (1, 2, 4, 8)},
    **{f"a3-highgpu-{n}g": ("nvidia-h100-80gb", n) for n in (1, 2, 4, 8)},
    "a3-edgegpu-8g": ("nvidia-h100-80gb", 8),
    "a3-megagpu-8g": ("nvidia-h100-mega-80gb", 8),
    "a3-ultragpu-8g": ("nvidia-h200-141gb", 8),
}


def machine_family(machine_type: str) -> str:
    return machine_type.split("-", 1)[0]


def check_accelerator(machine_type: str, accelerator: str, count: int) -> list[Violation]:
    """The accelerator fits the machine family, in a count that machine takes."""
    families = GPU_MACHINE_FAMILIES.get(accelerator)
    if families is None:
        allowed = ", ".join(sorted(GPU_MACHINE_FAMILIES))
        return [Violation("type", f"unknown GPU type {accelerator!r}; allowed: {allowed}")]
    family = machine_family(machine_type)
    if family not in families:
        wanted = " or ".join(f"{f}-*" for f in families)
        return [Violation("type", f"{accelerator} needs machine type {wanted}, not {machine_type}")]
    if family == "n1":
        counts = N1_COUNTS[accelerator]
        if count not in counts:
            allowed = ", ".join(map(str, counts))
            return [Violation("count", f"n1 with {accelerator} takes {allowed} GPUs (got {count})")]
        return []
    fixed = FIXED_GPUS.get(machine_type)
    if fixed is None:
        return [
            Violation(
                "type",
                f"{machine_type} is not a known {family} machine type with GPUs ({DOCS})",
            )
        ]
    wanted_type, wanted_count = fixed
    if wanted_type != accelerator:
        return [Violation("type", f"{machine_type} comes with {wanted_type}, not {accelerator}")]
    if count != wanted_count:
        return [
            Violation(
                "count", f"{machine_type} comes with {wanted_count} {accelerator} (got {count})"
            )
        ]
    return []
