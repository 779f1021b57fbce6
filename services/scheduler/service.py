"""The Scheduler gRPC service."""

from __future__ import annotations

from typing import Any

import grpc

from services.runtime.errors import InvalidArgument
from services.scheduler.manager import SchedulerManager
from stratus.v1 import scheduler_pb2, scheduler_pb2_grpc


def _check(request: scheduler_pb2.SelectDestinationRequest) -> None:
    if not request.instance_id or not request.HasField("flavor"):
        raise InvalidArgument("instance_id and flavor are required")


class SchedulerService(scheduler_pb2_grpc.SchedulerServicer):
    def __init__(self, manager: SchedulerManager) -> None:
        self.manager = manager

    async def SelectDestination(
        self,
        request: scheduler_pb2.SelectDestinationRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> scheduler_pb2.SelectDestinationResponse:
        _check(request)
        try:
            return await self.manager.select_destination(request)
        except ValueError as exc:  # a hint the request spec cannot read
            raise InvalidArgument(f"invalid scheduler hint: {exc}") from exc

    async def Explain(
        self,
        request: scheduler_pb2.SelectDestinationRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> scheduler_pb2.ExplainResponse:
        _check(request)
        try:
            return self.manager.explain(request)
        except ValueError as exc:
            raise InvalidArgument(f"invalid scheduler hint: {exc}") from exc
