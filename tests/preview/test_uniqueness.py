"""Two resources of one URN, or two manifests of one file, fail loudly instead of overwriting."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.preview.capture import CapturedResource, CapturingMonitor, DuplicateUrnError
from infra.preview.manifests import ManifestClashError, write_manifests


def _request(name: str) -> object:
    from pulumi.runtime.proto import resource_pb2

    return resource_pb2.RegisterResourceRequest(
        type="kubernetes:core/v1:Service", name=name, custom=True
    )


def test_the_capture_refuses_a_second_registration_of_one_urn() -> None:
    import pulumi
    from pulumi.runtime import settings

    from infra.preview.mocks import RealisticMocks

    settings.reset_options(project="servestack", stack="t", preview=True)
    mocks = RealisticMocks("acme-test", "europe-west4")
    monitor = CapturingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="servestack", stack="t", preview=True, monitor=monitor)
    monitor.RegisterResource(_request("a"))
    monitor.RegisterResource(_request("b"))
    with pytest.raises(DuplicateUrnError, match=r"duplicate resource URN .*::a$"):
        monitor.RegisterResource(_request("a"))
    assert [r.name for r in monitor.captured] == ["a", "b"]
    assert monitor.duplicates == [monitor.captured[0].urn]


def _service(name: str, urn: str) -> CapturedResource:
    return CapturedResource(
        urn=urn,
        type="kubernetes:core/v1:Service",
        name=urn.rsplit("::", 1)[1],
        parent="",
        provider="",
        custom=True,
        inputs={"kind": "Service", "metadata": {"name": name, "namespace": "serving"}},
        options={},
    )


def test_the_manifest_writer_refuses_to_overwrite(tmp_path: Path) -> None:
    clash = [_service("a", "urn:x::a-svc"), _service("a", "urn:x::b-svc")]
    with pytest.raises(ManifestClashError, match="two Service objects named 'a'"):
        write_manifests(clash, tmp_path)
    assert not any(tmp_path.iterdir())  # nothing written at all
    written = write_manifests([_service("a", "urn:x::a"), _service("b", "urn:x::b")], tmp_path)
    assert [p.name for p in written] == ["service-a.yaml", "service-b.yaml"]
