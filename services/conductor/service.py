"""The conductor's gRPC services: task submission from the api, and the agent channel."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from services.conductor.agents import AgentHub
from services.conductor.tasks import TaskRunner
from services.runtime.errors import InvalidArgument
from stratus.v1 import agent_pb2, agent_pb2_grpc, conductor_pb2, conductor_pb2_grpc


class ConductorService(conductor_pb2_grpc.ConductorServicer):
    def __init__(self, runner: TaskRunner) -> None:
        self.runner = runner

    async def SubmitTask(
        self, request: conductor_pb2.SubmitTaskRequest, context: grpc.aio.ServicerContext
    ) -> conductor_pb2.SubmitTaskResponse:
        if not request.task_id:
            raise InvalidArgument("task_id is required")
        return conductor_pb2.SubmitTaskResponse(accepted=await self.runner.submit(request.task_id))


class AgentChannelService(agent_pb2_grpc.AgentChannelServicer):
    def __init__(self, hub: AgentHub) -> None:
        self.hub = hub

    async def Connect(
        self,
        request_iterator: AsyncIterator[agent_pb2.AgentMessage],
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[agent_pb2.ConductorMessage]:
        async for message in self.hub.connect(request_iterator, context):
            yield message
