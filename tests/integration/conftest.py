from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import pytest

from stratus.v1 import compute_pb2_grpc
from tests.integration.cloud import Cloud, seed


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    """One cloud per test module: etcd, scheduler, conductor, api and 3 simulated hosts."""
    root: Path = tmp_path_factory.mktemp("cloud")
    cloud = Cloud(root)
    try:
        cloud.start()
        yield cloud
    except Exception:
        print(cloud.logs())
        raise
    finally:
        cloud.stop()


@pytest.fixture
async def compute(cloud: Cloud) -> AsyncIterator[compute_pb2_grpc.ComputeStub]:
    async with grpc.aio.insecure_channel(cloud.api_target) as channel:
        stub = compute_pb2_grpc.ComputeStub(channel)
        yield stub


@pytest.fixture
async def seeded(
    cloud: Cloud, compute: compute_pb2_grpc.ComputeStub
) -> compute_pb2_grpc.ComputeStub:
    if not getattr(cloud, "_seeded", False):
        await seed(compute)
        cloud._seeded = True  # type: ignore[attr-defined]
    return compute
