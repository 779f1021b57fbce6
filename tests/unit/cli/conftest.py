"""A fake Compute service on a free loopback port, for the client commands to talk to."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures

import grpc
import pytest
from cli_fakes import FakeCompute

from services.state.etcd_server import free_port
from stratus.v1 import compute_pb2_grpc


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeCompute, str]]:
    """The fake service and its host:port; STRATUS_API points at it."""
    servicer = FakeCompute()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    compute_pb2_grpc.add_ComputeServicer_to_server(servicer, server)
    port = free_port()
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    endpoint = f"127.0.0.1:{port}"
    monkeypatch.setenv("STRATUS_API", endpoint)
    try:
        yield servicer, endpoint
    finally:
        server.stop(0).wait()
