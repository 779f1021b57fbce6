"""What a fresh `stratus up` cloud starts with: Nova's classic flavors and one image.

A new cloud with no flavor and no image cannot boot anything, so `stratus up` creates these
through the public API (never behind its back in etcd) when the lists are empty. The ids
are fixed so that seeding twice is harmless: the second attempt meets AlreadyExists.
"""

from __future__ import annotations

import uuid

import grpc

from services.runtime import context
from stratus.v1 import compute_pb2, compute_pb2_grpc, types_pb2

# Nova's classic flavors: (id, name, vCPUs, RAM MB, root disk GB).
CLASSIC_FLAVORS: tuple[tuple[str, str, int, int, int], ...] = (
    ("1", "m1.tiny", 1, 512, 1),
    ("2", "m1.small", 1, 2048, 20),
    ("3", "m1.medium", 2, 4096, 40),
    ("4", "m1.large", 4, 8192, 80),
    ("5", "m1.xlarge", 8, 16384, 160),
)

IMAGE_NAME = "cirros"
# Stable across runs and machines, so a re-seed is recognised as the same image.
IMAGE_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "stratus:image:cirros"))


def default_flavors() -> list[types_pb2.Flavor]:
    return [
        types_pb2.Flavor(
            id=flavor_id,
            name=name,
            vcpus=vcpus,
            ram_mb=ram_mb,
            disk_gb=disk_gb,
            is_public=True,
            rxtx_factor=1.0,
        )
        for flavor_id, name, vcpus, ram_mb, disk_gb in CLASSIC_FLAVORS
    ]


def default_images() -> list[types_pb2.Image]:
    return [
        types_pb2.Image(
            id=IMAGE_ID,
            name=IMAGE_NAME,
            status="active",
            disk_format="qcow2",
            container_format="bare",
            min_disk_gb=1,
            visibility="public",
            properties={"architecture": "x86_64", "hypervisor_type": "test"},
        )
    ]


# The project `stratus up` works in is a developer's own cloud: no quota on it, so benchmarks
# and demos can boot hundreds of servers. Other projects keep the defaults.
UNLIMITED = {"instances": -1, "cores": -1, "ram": -1}


async def seed(
    stub: compute_pb2_grpc.ComputeStub,
    timeout_seconds: float = 10.0,
    project_id: str = context.DEFAULT_PROJECT_ID,
) -> list[str]:
    """Create the defaults when none exist; returns the names of what was created."""
    created: list[str] = []
    flavors = await stub.ListFlavors(compute_pb2.ListFlavorsRequest(), timeout=timeout_seconds)
    if not flavors.flavors:
        for flavor in default_flavors():
            if await _create(
                stub.CreateFlavor(
                    compute_pb2.CreateFlavorRequest(flavor=flavor), timeout=timeout_seconds
                )
            ):
                created.append(f"flavor {flavor.name}")
        if created:  # this is the first start
            await stub.UpdateQuotaSet(
                compute_pb2.UpdateQuotaSetRequest(project_id=project_id, limits=UNLIMITED),
                timeout=timeout_seconds,
            )
            created.append(f"quota {project_id}=unlimited")  # shown as "quotas default=unlimited"
    images = await stub.ListImages(compute_pb2.ListImagesRequest(), timeout=timeout_seconds)
    if not images.images:
        for image in default_images():
            if await _create(
                stub.CreateImage(
                    compute_pb2.CreateImageRequest(image=image), timeout=timeout_seconds
                )
            ):
                created.append(f"image {image.name}")
    return created


async def _create(call: object) -> bool:
    """Await a Create* call; AlreadyExists means a concurrent or earlier seed won."""
    try:
        await call  # type: ignore[misc]
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.ALREADY_EXISTS:
            return False
        raise
    return True
