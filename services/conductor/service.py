"""The conductor's gRPC services: task submission from the api, and the agent channel."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from services.conductor import consoles
from services.conductor.agents import AgentHub
from services.conductor.tasks import TaskRunner
from services.runtime.errors import InvalidArgument, Unavailable
from stratus.v1 import agent_pb2, agent_pb2_grpc, conductor_pb2, conductor_pb2_grpc

# Console reads are quick on the agent; a slow answer means a stuck host.
CONSOLE_TIMEOUT_SECONDS = 10.0


class ConductorService(conductor_pb2_grpc.ConductorServicer):
    def __init__(self, runner: TaskRunner, hub: AgentHub | None = None) -> None:
        self.runner = runner
        self.hub = hub

    async def SubmitTask(
        self, request: conductor_pb2.SubmitTaskRequest, context: grpc.aio.ServicerContext
    ) -> conductor_pb2.SubmitTaskResponse:
        if not request.task_id:
            raise InvalidArgument("task_id is required")
        return conductor_pb2.SubmitTaskResponse(accepted=await self.runner.submit(request.task_id))

    async def GetConsole(
        self, request: conductor_pb2.GetConsoleRequest, context: grpc.aio.ServicerContext
    ) -> conductor_pb2.GetConsoleResponse:
        if self.hub is None:
            raise Unavailable("this conductor holds no agent streams")
        return await consoles.get_console(self.hub, request, CONSOLE_TIMEOUT_SECONDS)


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
