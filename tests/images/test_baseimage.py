"""The base-image lock: parsing, selection by device, pinning."""

from __future__ import annotations

import pytest

from infra.images import baseimage
from tests.images.conftest import ROOT

DIGEST = "sha256:" + "ab" * 32


def test_parse_lock_reads_pinned_and_unpinned_entries() -> None:
    text = (
        f"# header\n\ntensorflow/serving:2.19.1 {DIGEST}  # cpu\n"
        "tensorflow/serving:2.19.1-gpu unpinned\n"
    )
    assert baseimage.parse_lock(text) == {
        "tensorflow/serving:2.19.1": DIGEST,
        "tensorflow/serving:2.19.1-gpu": None,
    }


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("tensorflow/serving:2.19.1 sha256:abc\n", "neither sha256"),
        ("tensorflow/serving 2.19.1\n", "expected"),
        (f"a:1 {DIGEST}\na:1 unpinned\n", "listed twice"),
    ],
)
def test_parse_lock_rejects_bad_lines(text: str, problem: str) -> None:
    with pytest.raises(baseimage.LockError, match=problem):
        baseimage.parse_lock(text)


def test_gpu_servers_get_the_gpu_tag_and_the_lock_digest() -> None:
    lock = {"tensorflow/serving:2.19.1-gpu": DIGEST}
    gpu = baseimage.base_image(lock, "2.19.1", gpu=True)
    assert gpu.ref == f"tensorflow/serving:2.19.1-gpu@{DIGEST}"
    assert gpu.pinned
    cpu = baseimage.base_image(lock, "2.19.1", gpu=False)
    assert cpu.ref == "tensorflow/serving:2.19.1"
    assert not cpu.pinned


def test_render_lock_round_trips_and_keeps_the_header() -> None:
    text = (ROOT / baseimage.LOCK_FILE).read_text()
    entries = baseimage.parse_lock(text)
    entries["tensorflow/serving:2.19.1"] = DIGEST
    rendered = baseimage.render_lock(baseimage.lock_header(text), entries)
    assert rendered.startswith("# Base images")
    assert baseimage.parse_lock(rendered) == entries


def test_the_shipped_lock_covers_every_stack_version_on_cpu_and_gpu() -> None:
    from infra.preview.stackfile import available_stacks, load_spec

    lock = baseimage.read_lock(ROOT)
    for stack in available_stacks(ROOT):
        version = load_spec(ROOT, stack).images.tf_serving_version
        for gpu in (False, True):
            assert f"tensorflow/serving:{baseimage.base_tag(version, gpu)}" in lock
