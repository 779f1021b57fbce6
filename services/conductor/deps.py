"""What the conductor's flows share: state, agents, the scheduler and settings."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from services.conductor.agents import AgentHub
from services.conductor.config import ConductorConfig
from services.runtime import registration
from services.runtime.errors import from_rpc_error
from services.state.store import Store
from stratus.v1 import scheduler_pb2, scheduler_pb2_grpc
from stratus.v1 import types_pb2 as t


class SchedulerClient:
    """Calls a live scheduler replica, found through its registration in etcd."""

    def __init__(self, store: Store) -> None:
        self.replicas = registration.Replicas(store.etcd, "stratus-scheduler")

    async def select_destination(
        self, request: scheduler_pb2.SelectDestinationRequest
    ) -> scheduler_pb2.SelectDestinationResponse:
        stub = scheduler_pb2_grpc.SchedulerStub(await self.replicas.channel())
        try:
            response: scheduler_pb2.SelectDestinationResponse = await stub.SelectDestination(
                request, timeout=30, wait_for_ready=True
            )
            return response
        except grpc.aio.AioRpcError as error:
            raise from_rpc_error(error) from error

    async def close(self) -> None:
        await self.replicas.close()


@dataclass
class Deps:
    store: Store
    hub: AgentHub
    scheduler: SchedulerClient
    network: t.Network
    config: ConductorConfig
