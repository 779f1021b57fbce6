"""Consoles: the api asks; the conductor holding the host's stream asks the agent.

Only the agent can read a guest's serial log or learn its VNC port, and only the
conductor the agent dialled can reach it. Both reads change nothing, so they are plain
commands with a short timeout and no task in etcd.
"""

from __future__ import annotations

from services.conductor.agents import AgentHub
from services.runtime import context
from services.runtime.errors import Conflict, InvalidArgument, Unavailable
from stratus.v1 import agent_pb2, conductor_pb2

Kind = conductor_pb2.GetConsoleRequest

_OPS = {
    Kind.KIND_OUTPUT: agent_pb2.Command.OP_CONSOLE_OUTPUT,
    Kind.KIND_VNC: agent_pb2.Command.OP_VNC_CONSOLE,
}


async def get_console(
    hub: AgentHub, request: conductor_pb2.GetConsoleRequest, timeout_seconds: float
) -> conductor_pb2.GetConsoleResponse:
    """The console the request names, read by the host's agent.

    InvalidArgument for a request without instance, host or a known kind; Unavailable when
    the host's agent is not connected here; Conflict when the agent cannot answer for this
    instance (no domain, not running, no VNC server), with the agent's reason.
    """
    if not request.instance_id or not request.host:
        raise InvalidArgument("instance_id and host are required")
    op = _OPS.get(request.kind)
    if op is None:
        raise InvalidArgument(f"unknown console kind {request.kind}")
    if request.length < 0:
        raise InvalidArgument("length must not be negative")
    if not hub.is_connected(request.host):
        raise Unavailable(f"host {request.host} is not connected to this conductor")
    result = await hub.command(
        request.host,
        op,
        request.instance_id,
        request_id=context.current().request_id,
        timeout_seconds=timeout_seconds,
        console_length=request.length,
    )
    if not result.ok:
        raise Conflict(result.error)
    return conductor_pb2.GetConsoleResponse(
        output=result.console_output,
        address=result.console.address,
        port=result.console.port,
    )
