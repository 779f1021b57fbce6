from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from services.runtime import grpc_client
from stratus.v1 import compute_pb2_grpc
from tests.integration.cloud import Cloud, seed


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    """One cloud per test module: etcd, scheduler, conductor, api and 3 simulated hosts."""
    root: Path = tmp_path_factory.mktemp("cloud")
    with Cloud(root).running() as cloud:
        yield cloud


@pytest.fixture
async def compute(cloud: Cloud) -> AsyncIterator[compute_pb2_grpc.ComputeStub]:
    """The Compute API as the bootstrap admin (every call carries the admin's token)."""
    channel = grpc_client.channel(cloud.api_target, token=cloud.admin.token)
    try:
        yield compute_pb2_grpc.ComputeStub(channel)
    finally:
        await channel.close()


@pytest.fixture
async def seeded(
    cloud: Cloud, compute: compute_pb2_grpc.ComputeStub
) -> compute_pb2_grpc.ComputeStub:
    if not getattr(cloud, "_seeded", False):
        await seed(compute, cloud.admin.info.project_id)
        cloud._seeded = True  # type: ignore[attr-defined]
    return compute


@pytest.fixture
def admin_headers(cloud: Cloud) -> dict[str, str]:
    """REST headers of the bootstrap admin."""
    return {"X-Auth-Token": cloud.admin.token}
