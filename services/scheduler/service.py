"""The Scheduler gRPC service."""

from __future__ import annotations

import grpc

from services.runtime.errors import InvalidArgument
from services.scheduler.manager import SchedulerManager
from stratus.v1 import scheduler_pb2, scheduler_pb2_grpc


class SchedulerService(scheduler_pb2_grpc.SchedulerServicer):
    def __init__(self, manager: SchedulerManager) -> None:
        self.manager = manager

    async def SelectDestination(
        self,
        request: scheduler_pb2.SelectDestinationRequest,
        context: grpc.aio.ServicerContext,
    ) -> scheduler_pb2.SelectDestinationResponse:
        if not request.instance_id or not request.HasField("flavor"):
            raise InvalidArgument("instance_id and flavor are required")
        return await self.manager.select_destination(request)
