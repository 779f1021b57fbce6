"""Console actions and remote consoles (os-getConsoleOutput, os-getVNCConsole,
/servers/{id}/remote-consoles)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from services.runtime.context import RequestContext
from services.runtime.errors import Unavailable

router = APIRouter(prefix="/v2.1")

# Server action keys this module answers instead of the power-action handler.
ACTIONS = frozenset({"os-getConsoleOutput", "os-getVNCConsole"})


async def server_action(
    request: Request, ctx: RequestContext, server_id: str, body: dict[str, Any]
) -> Response:
    raise Unavailable("consoles are not available yet")
