"""A Cloud Storage API on 127.0.0.1 for the gs:// tests: gcp-storage-emulator, in memory.

The real google-cloud-storage client talks to it through STORAGE_EMULATOR_HOST, so fetch and
publish run their production code path; nothing leaves the machine.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def gcs_emulator(bucket: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Serve `bucket` in this process; STORAGE_EMULATOR_HOST points at it while inside."""
    server_module = pytest.importorskip("gcp_storage_emulator.server")
    port = _free_port()
    server = server_module.create_server("127.0.0.1", port, in_memory=True, default_bucket=bucket)
    server.start()  # returns once the HTTP server is bound
    host = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", host)
    try:
        yield host
    finally:
        server.stop()
