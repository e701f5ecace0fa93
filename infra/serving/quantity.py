"""Kubernetes resource quantities as the stack file spells them, and the sizes derived from them."""

from __future__ import annotations

import math

# Binary suffixes a stack file may use for memory (config.MemoryQuantity), in KiB.
_MEMORY_UNITS_KIB = {"Ki": 1, "Mi": 1024, "Gi": 1024**2, "Ti": 1024**3}


def cpu_cores(quantity: str) -> float:
    """Cores of a CPU quantity such as `2`, `0.5` or `500m`."""
    if quantity.endswith("m"):
        return int(quantity[:-1]) / 1000
    return float(quantity)


def memory_kib(quantity: str) -> int:
    """KiB of a memory quantity such as `512Mi` or `6Gi`."""
    number, unit = quantity[:-2], quantity[-2:]
    if unit not in _MEMORY_UNITS_KIB or not number.isdigit():
        raise ValueError(f"unsupported memory quantity {quantity!r}")
    return int(number) * _MEMORY_UNITS_KIB[unit]


def format_memory(kib: int) -> str:
    """The largest binary unit that represents `kib` exactly, so limits read naturally."""
    for unit in ("Ti", "Gi", "Mi"):
        size = _MEMORY_UNITS_KIB[unit]
        if kib % size == 0:
            return f"{kib // size}{unit}"
    return f"{kib}Ki"


def memory_limit(request: str, headroom_percent: int) -> str:
    """Request plus headroom, so a second model version fits while a version swap loads."""
    kib = memory_kib(request)
    return format_memory(math.ceil(kib * (100 + headroom_percent) / 100))
