"""The conductor's gRPC services: task submission from the api, commands relayed from
other conductor replicas, and the agent channel."""

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
# The longest a relayed command may be waited for (an hour: no flow waits longer).
MAX_RELAY_TIMEOUT_SECONDS = 3600.0


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

    async def RelayCommand(
        self, request: conductor_pb2.RelayCommandRequest, context: grpc.aio.ServicerContext
    ) -> conductor_pb2.RelayCommandResponse:
        if self.hub is None:
            raise Unavailable("this conductor holds no agent streams")
        if not request.command.host or not request.command.command_id:
            raise InvalidArgument("command.host and command.command_id are required")
        if not 0 < request.timeout_seconds <= MAX_RELAY_TIMEOUT_SECONDS:
            raise InvalidArgument(
                f"timeout_seconds must be in (0, {MAX_RELAY_TIMEOUT_SECONDS:.0f}]"
            )
        return await self.hub.serve_relay(request)


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
