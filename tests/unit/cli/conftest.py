"""A fake Compute and Identity service on a free loopback port, for the client commands."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from cli_fakes import FAKE_PASSWORD, FakeCompute, FakeIdentity

from services.state.etcd_server import free_port
from stratus.v1 import compute_pb2_grpc, identity_pb2_grpc

CREDENTIAL_VARIABLES = (
    "OS_TOKEN",
    "OS_USERNAME",
    "OS_PASSWORD",
    "OS_PROJECT_NAME",
    "OS_CLOUD",
    "OS_CLIENT_CONFIG_FILE",
)


@pytest.fixture(autouse=True)
def no_credentials_from_this_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No OS_* variable, home dir, working dir or data dir of the machine leaks in."""
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("STRATUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeCompute, str]]:
    """The fake service and its host:port; STRATUS_API points at it and OS_USERNAME and
    OS_PASSWORD are the fake admin's (its Identity is `fake.identity`)."""
    servicer = FakeCompute()
    servicer.identity = FakeIdentity()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    compute_pb2_grpc.add_ComputeServicer_to_server(servicer, server)
    identity_pb2_grpc.add_IdentityServicer_to_server(servicer.identity, server)
    port = free_port()
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    endpoint = f"127.0.0.1:{port}"
    monkeypatch.setenv("STRATUS_API", endpoint)
    monkeypatch.setenv("OS_USERNAME", "admin")
    monkeypatch.setenv("OS_PASSWORD", FAKE_PASSWORD)
    try:
        yield servicer, endpoint
    finally:
        server.stop(0).wait()
