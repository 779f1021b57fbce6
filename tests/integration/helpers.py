"""Small steps the cloud scenarios share."""

from __future__ import annotations

import grpc

from services.api.status import server_status
from stratus.v1 import compute_pb2, compute_pb2_grpc
from stratus.v1 import types_pb2 as t
from tests.waiting import eventually

Stub = compute_pb2_grpc.ComputeStub


async def create(stub: Stub, name: str, count: int = 1, flavor: str = "1") -> list[str]:
    reply = await stub.CreateServers(
        compute_pb2.CreateServersRequest(
            name=name, flavor_ref=flavor, image_ref="cirros", min_count=count
        )
    )
    return [s.id for s in reply.servers]


async def get(stub: Stub, server_id: str) -> t.Instance | None:
    try:
        server: t.Instance = await stub.GetServer(compute_pb2.GetServerRequest(id=server_id))
        return server
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.NOT_FOUND:
            return None
        raise


async def wait_status(
    stub: Stub, server_id: str, status: str, within_seconds: float = 30
) -> t.Instance:
    """Wait until the server shows `status` with no task in progress."""

    async def reached() -> t.Instance | None:
        server = await get(stub, server_id)
        if server is None:
            return None
        if server_status(server) == "ERROR" and status != "ERROR":
            raise AssertionError(f"{server_id} went to ERROR: {server.fault.details}")
        done = server_status(server) == status and server.task_state == t.TASK_STATE_NONE
        return server if done else None

    return await eventually(reached, within_seconds=within_seconds)


async def wait_gone(stub: Stub, server_id: str, within_seconds: float = 30) -> None:
    async def gone() -> bool:
        return await get(stub, server_id) is None

    await eventually(gone, within_seconds=within_seconds)


async def act(stub: Stub, server_id: str, action: str, reboot_type: str = "") -> None:
    await stub.ServerAction(
        compute_pb2.ServerActionRequest(id=server_id, action=action, reboot_type=reboot_type)
    )
