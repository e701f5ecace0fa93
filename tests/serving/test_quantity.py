from __future__ import annotations

import pytest

from infra.serving.quantity import cpu_cores, format_memory, memory_kib, memory_limit


@pytest.mark.parametrize(
    ("quantity", "cores"), [("1", 1.0), ("0.5", 0.5), ("500m", 0.5), ("4", 4.0)]
)
def test_cpu_cores(quantity: str, cores: float) -> None:
    assert cpu_cores(quantity) == cores


@pytest.mark.parametrize(
    ("request_", "percent", "limit"),
    [
        ("6Gi", 100, "12Gi"),
        ("8Gi", 50, "12Gi"),
        ("512Mi", 100, "1Gi"),
        ("1Gi", 0, "1Gi"),
        ("1Gi", 25, "1280Mi"),
    ],
)
def test_memory_limit_adds_swap_headroom(request_: str, percent: int, limit: str) -> None:
    assert memory_limit(request_, percent) == limit


def test_memory_round_trip() -> None:
    assert format_memory(memory_kib("3Ti")) == "3Ti"
    assert format_memory(1536) == "1536Ki"


def test_memory_rejects_decimal_units() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        memory_kib("1G")
