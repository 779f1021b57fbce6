"""Consoles: a server's serial log and VNC consoles through the console proxy."""

from __future__ import annotations

from services.runtime.context import RequestContext
from services.runtime.errors import Unavailable
from stratus.v1 import compute_pb2


class ConsoleApi:
    async def get_console_output(
        self, ctx: RequestContext, server_id: str, length: int
    ) -> compute_pb2.GetConsoleOutputResponse:
        raise Unavailable("consoles are not available yet")

    async def create_remote_console(
        self, ctx: RequestContext, server_id: str, protocol: str, console_type: str
    ) -> compute_pb2.RemoteConsole:
        raise Unavailable("consoles are not available yet")
