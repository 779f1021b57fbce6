"""Console actions and remote consoles, in Nova's shapes.

- `POST /v2.1/servers/{id}/action {"os-getConsoleOutput": {"length": N}}` ->
  `{"output": "..."}`: the last N lines of the serial console (`length` absent, null or
  -1: all that is kept).
- `POST /v2.1/servers/{id}/action {"os-getVNCConsole": {"type": "novnc"}}` ->
  `{"console": {"type": "novnc", "url": "..."}}` (the action older clients use).
- `POST /v2.1/servers/{id}/remote-consoles
  {"remote_console": {"protocol": "vnc", "type": "novnc"}}` ->
  `{"remote_console": {"protocol": "vnc", "type": "novnc", "url": "..."}}`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from services.api.consoles import ConsoleApi
from services.api.rest import microversions as mv
from services.api.rest import parsing
from services.api.rest.deps import Version, get_context
from services.api.rest.errors import BadRequest
from services.runtime.context import RequestContext
from services.runtime.errors import Unavailable

router = APIRouter(prefix="/v2.1")

Ctx = Annotated[RequestContext, Depends(get_context)]

# Server action keys this module answers instead of the power-action handler.
ACTIONS = frozenset({"os-getConsoleOutput", "os-getVNCConsole"})

_LENGTH_TEXT = re.compile(r"-?[0-9]+")
_LENGTH = {
    "oneOf": [
        {"type": "integer", "minimum": -1},
        {"type": "string", "pattern": "^-?[0-9]+$"},
        {"type": "null"},
    ]
}
REMOTE_CONSOLE_SCHEMA = {
    "type": "object",
    "required": ["remote_console"],
    "properties": {
        "remote_console": {
            "type": "object",
            "required": ["protocol", "type"],
            "properties": {
                "protocol": {"type": "string", "enum": ["vnc"]},
                "type": {"type": "string", "enum": ["novnc"]},
            },
        }
    },
}
CONSOLE_OUTPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "os-getConsoleOutput": {"type": ["object", "null"], "properties": {"length": _LENGTH}}
    },
}


# The console actions' bodies, as the server action route documents them.
ACTION_PROPERTIES: dict[str, Any] = {
    "os-getConsoleOutput": CONSOLE_OUTPUT_SCHEMA["properties"]["os-getConsoleOutput"],
    "os-getVNCConsole": {
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"type": "string", "enum": ["novnc"]}},
    },
}


def get_consoles(request: Request) -> ConsoleApi:
    consoles: ConsoleApi | None = getattr(request.app.state, "console_api", None)
    if consoles is None:
        raise Unavailable("consoles are not served by this gateway")
    return consoles


Consoles = Annotated[ConsoleApi, Depends(get_consoles)]


def console_length(value: Any) -> int:
    """`length` of os-getConsoleOutput as lines from the end; 0 means all."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadRequest("length must be an integer.")
    if isinstance(value, str):
        text = value.strip()
        if not _LENGTH_TEXT.fullmatch(text):
            raise BadRequest(f"length must be an integer, got {value!r}.")
        magnitude = parsing.digits_value(text.removeprefix("-"))
        value = -magnitude if text.startswith("-") else magnitude
    if value < -1:
        raise BadRequest("length must be -1 (all) or a number of lines.")
    # More lines than a log can hold is all of it, as Nova reads any length.
    return 0 if value == -1 or value > parsing.MAX_INT else value


def _options(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body[key]
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest(f"{key} must be an object.")
    return value


def _string(options: dict[str, Any], key: str, what: str) -> str:
    value = options.get(key)
    if not isinstance(value, str) or not value:
        raise BadRequest(f"{what} must be given as a string.")
    return value


async def server_action(
    request: Request, ctx: RequestContext, server_id: str, body: dict[str, Any]
) -> Response:
    """The console actions of `POST /servers/{id}/action` (the body has one key)."""
    consoles = get_consoles(request)
    key = next(iter(body))
    options = _options(body, key)
    if key == "os-getConsoleOutput":
        unknown = set(options) - {"length"}
        if unknown:
            raise BadRequest(
                f"Unknown os-getConsoleOutput option(s): {', '.join(sorted(unknown))}."
            )
        length = console_length(options.get("length"))
        reply = await consoles.get_console_output(ctx, server_id, length)
        return JSONResponse({"output": reply.output})
    console_type = _string(options, "type", "os-getVNCConsole type")
    console = await consoles.create_remote_console(ctx, server_id, "vnc", console_type)
    return JSONResponse({"console": {"type": console.type, "url": console.url}})


@router.post(
    "/servers/{server_id}/remote-consoles",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": REMOTE_CONSOLE_SCHEMA}},
        }
    },
)
async def create_remote_console(
    server_id: str, request: Request, ctx: Ctx, consoles: Consoles, version: Version
) -> dict[str, Any]:
    """The one console API from 2.6 (the `os-get*Console` actions before it)."""
    mv.served_between(version, first=mv.REMOTE_CONSOLES)
    body = await parsing.json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("remote_console"), dict):
        raise BadRequest('The body must be {"remote_console": {"protocol": ..., "type": ...}}.')
    options = body["remote_console"]
    protocol = _string(options, "protocol", "remote_console protocol")
    console_type = _string(options, "type", "remote_console type")
    console = await consoles.create_remote_console(ctx, server_id, protocol, console_type)
    return {
        "remote_console": {"protocol": console.protocol, "type": console.type, "url": console.url}
    }
