"""The defaults a fresh `stratus up` cloud gets, and seeding them only once."""

from __future__ import annotations

import uuid

import pytest
from cli_fakes import FakeCompute

from services.cli import seed
from services.runtime import grpc_client
from stratus.v1 import compute_pb2_grpc


def test_classic_nova_flavors() -> None:
    flavors = {f.id: (f.name, f.vcpus, f.ram_mb, f.disk_gb) for f in seed.default_flavors()}
    assert flavors == {
        "1": ("m1.tiny", 1, 512, 1),
        "2": ("m1.small", 1, 2048, 20),
        "3": ("m1.medium", 2, 4096, 40),
        "4": ("m1.large", 4, 8192, 80),
        "5": ("m1.xlarge", 8, 16384, 160),
    }
    assert all(f.is_public for f in seed.default_flavors())


def test_cirros_image() -> None:
    [image] = seed.default_images()
    assert image.name == "cirros"
    assert (image.disk_format, image.container_format) == ("qcow2", "bare")
    assert (image.status, image.visibility, image.min_disk_gb) == ("active", "public", 1)
    assert dict(image.properties) == {"architecture": "x86_64", "hypervisor_type": "test"}
    assert uuid.UUID(image.id)  # fixed, so a second seed meets AlreadyExists


@pytest.mark.asyncio
async def test_seed_once_and_tolerate_already_exists(fake_api: tuple[FakeCompute, str]) -> None:
    fake, endpoint = fake_api
    channel = grpc_client.channel(endpoint)
    stub = compute_pb2_grpc.ComputeStub(channel)
    try:
        created = await seed.seed(stub)
        assert created == [
            *(f"flavor {f.name}" for f in seed.default_flavors()),
            "quota default=unlimited",
            "image cirros",
        ]
        (quota_call,) = fake.calls("UpdateQuotaSet")
        assert dict(quota_call[0].limits) == seed.UNLIMITED
        assert len(fake.flavors) == 5 and len(fake.images) == 1
        assert await seed.seed(stub) == []  # not empty any more: nothing to do
        # A concurrent seed created them after this one listed: AlreadyExists is fine.
        fake.flavors.clear()
        assert await seed.seed(stub) == []
        assert len(fake.calls("CreateFlavor")) == 10
    finally:
        await channel.close()
