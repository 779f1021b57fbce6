"""`/v2.1/servers`: create, list, show, delete, actions and the action log."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from services.api.rest import consoles, parsing, views
from services.api.rest.deps import ComputeApiLike, get_api, get_context, get_links
from services.api.rest.errors import ApiError, BadRequest
from services.api.status import KNOWN_STATUSES
from services.runtime.context import RequestContext
from stratus.v1 import compute_pb2, types_pb2

router = APIRouter(prefix="/v2.1")

Api = Annotated[ComputeApiLike, Depends(get_api)]
Ctx = Annotated[RequestContext, Depends(get_context)]
LinksDep = Annotated[views.Links, Depends(get_links)]

# Body key of each server action → the service layer's action name.
ACTIONS = {
    "os-stop": "stop",
    "os-start": "start",
    "reboot": "reboot",
    "pause": "pause",
    "unpause": "unpause",
    "suspend": "suspend",
    "resume": "resume",
}
REBOOT_TYPES = frozenset({"SOFT", "HARD"})

# The documented shapes (OpenAPI only: bodies are parsed by the functions below).
_REF = {"oneOf": [{"type": "string", "minLength": 1}, {"type": "integer"}]}
_COUNT = {"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": "^[0-9]+$"}]}
CREATE_SCHEMA = {
    "type": "object",
    "required": ["server"],
    "properties": {
        "server": {
            "type": "object",
            "required": ["name", "flavorRef"],
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 255},
                "flavorRef": _REF,
                "imageRef": {"type": "string"},
                "min_count": _COUNT,
                "max_count": _COUNT,
                "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
                "return_reservation_id": {"type": "boolean"},
                "availability_zone": {"type": "string"},
            },
        },
        "os:scheduler_hints": {
            "type": "object",
            "properties": {
                "same_host": {"oneOf": [{"type": "string"}, {"type": "array"}]},
                "different_host": {"oneOf": [{"type": "string"}, {"type": "array"}]},
                "group": {"type": "string"},
                "build_near_host_ip": {"type": "string", "format": "ipv4"},
                "cidr": {"type": "string", "pattern": "^/[0-9]{1,2}$"},
                "query": {"oneOf": [{"type": "string"}, {"type": "array"}, {"type": "object"}]},
            },
        },
    },
}
# Where Nova reads the scheduler hints: beside "server", under either name.
HINT_KEYS = ("os:scheduler_hints", "OS-SCH-HNT:scheduler_hints")
ACTION_SCHEMA = {
    "type": "object",
    "minProperties": 1,
    "maxProperties": 1,
    "properties": {
        **{key: {"type": "null"} for key in ACTIONS if key != "reboot"},
        "reboot": {
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"type": "string", "enum": sorted(REBOOT_TYPES)}},
        },
    },
    "additionalProperties": False,
}
_LIST_PARAMETERS = [
    {"name": name, "in": "query", "required": False, "schema": schema}
    for name, schema in (
        ("name", {"type": "string"}),
        ("status", {"type": "string"}),
        ("host", {"type": "string"}),
        ("limit", {"type": "integer", "minimum": 0}),
        ("marker", {"type": "string"}),
        ("changes-since", {"type": "string", "format": "date-time"}),
        ("all_tenants", {"type": "string"}),
    )
]
LIST_DOC: dict[str, Any] = {"parameters": _LIST_PARAMETERS}


def json_body_doc(schema: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` documenting a JSON request body parsed by hand."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema}},
        }
    }


def scheduler_hints(body: dict[str, Any]) -> types_pb2.SchedulerHints:
    """Nova's `os:scheduler_hints` (or `OS-SCH-HNT:scheduler_hints`) beside `server`.

    Shapes are checked here, meanings (servers and groups exist, addresses parse) by the
    service layer. Hints no filter reads are ignored, as Nova passes them on unread.
    """
    given = [key for key in HINT_KEYS if key in body]
    if len(given) > 1:
        raise BadRequest(f"Give scheduler hints once, as {HINT_KEYS[0]!r}.")
    if not given:
        return types_pb2.SchedulerHints()
    hints = body[given[0]]
    if not isinstance(hints, dict):
        raise parsing.invalid(given[0], hints, f"{hints!r} is not of type 'object'")
    query = hints.get("query")
    if query is not None and not isinstance(query, str):
        if not isinstance(query, list | dict):
            raise parsing.invalid("query", query, f"{query!r} is not of type 'string'")
        query = json.dumps(query)
    return types_pb2.SchedulerHints(
        same_host=parsing.string_list(hints, "same_host"),
        different_host=parsing.string_list(hints, "different_host"),
        group=parsing.string(hints, "group"),
        build_near_host_ip=parsing.string(hints, "build_near_host_ip"),
        cidr=parsing.string(hints, "cidr"),
        query=query or "",
    )


def create_request(body: Any) -> tuple[compute_pb2.CreateServersRequest, bool]:
    """The CreateServersRequest a Nova `POST /servers` body asks for, and whether the
    client wants the reservation id instead of the server."""
    server = parsing.require_object(body, "server")
    request = compute_pb2.CreateServersRequest(
        name=parsing.string(server, "name", required=True),
        flavor_ref=parsing.reference(server, "flavorRef", required=True),
        image_ref=parsing.reference(server, "imageRef"),
        min_count=parsing.integer(server, "min_count", minimum=1, default=1),
        max_count=parsing.integer(server, "max_count", minimum=1, default=0),
        metadata=parsing.string_map(server, "metadata"),
        availability_zone=parsing.string(server, "availability_zone"),
        hints=scheduler_hints(body),
    )
    if not request.max_count:
        request.max_count = request.min_count
    if request.max_count < request.min_count:
        raise BadRequest(
            f"min_count ({request.min_count}) must be less than or equal to "
            f"max_count ({request.max_count})."
        )
    wants_reservation = parsing.boolean(server, "return_reservation_id", default=False)
    return request, wants_reservation


def list_request(request: Request) -> compute_pb2.ListServersRequest:
    """The ListServersRequest for a `GET /servers` query string."""
    params = request.query_params
    message = compute_pb2.ListServersRequest(
        name=params.get("name", ""),
        host=params.get("host", ""),
        marker=params.get("marker", ""),
        all_projects=parsing.query_flag(request, "all_tenants"),
    )
    statuses = params.getlist("status")
    if len(statuses) > 1:
        raise BadRequest("Only one status filter is supported per request.")
    if statuses:
        status = statuses[0].strip().upper()
        if status not in KNOWN_STATUSES:
            known = ", ".join(sorted(KNOWN_STATUSES))
            raise BadRequest(f"Invalid status value {statuses[0]!r}: expected one of {known}.")
        message.status = status
    limit = parsing.query_int(request, "limit")
    if limit is not None:
        message.limit = limit
    changes_since = params.get("changes-since")
    if changes_since is not None:
        message.changes_since.CopyFrom(parsing.parse_timestamp("changes-since", changes_since))
    return message


def action_request(body: Any) -> tuple[str, str]:
    """(action, reboot type) for a `POST /servers/{id}/action` body with exactly one key."""
    if not isinstance(body, dict) or not body:
        raise BadRequest("Malformed request body: expected a JSON object with one action key.")
    if len(body) != 1:
        raise BadRequest(
            f"Malformed request body: too many body keys ({', '.join(sorted(body))}); "
            "send one action per request."
        )
    ((key, value),) = body.items()
    if key not in ACTIONS:
        raise BadRequest(f"There is no such action: {key}")
    reboot_type = ""
    if key == "reboot":
        if not isinstance(value, dict):
            raise parsing.invalid("reboot", value, f"{value!r} is not of type 'object'")
        if "type" not in value:
            raise BadRequest("'type' is a required property")
        raw = value["type"]
        if not isinstance(raw, str) or raw.upper() not in REBOOT_TYPES:
            raise parsing.invalid("type", raw, f"{raw!r} is not one of ['SOFT', 'HARD']")
        reboot_type = raw.upper()
    return ACTIONS[key], reboot_type


@router.post("/servers", status_code=202, openapi_extra=json_body_doc(CREATE_SCHEMA))
async def create_servers(request: Request, api: Api, ctx: Ctx, links: LinksDep) -> Response:
    message, wants_reservation = create_request(await parsing.json_body(request))
    created = await api.create_servers(ctx, message)
    if wants_reservation:
        return JSONResponse({"reservation_id": created.reservation_id}, status_code=202)
    if not created.servers:
        raise ApiError(500, "The service layer created no server.")
    first = created.servers[0]
    body = {"server": views.server_created(first, links)}
    location = links.resource("servers", first.id)[0]["href"]
    return JSONResponse(body, status_code=202, headers={"Location": location})


async def _list(
    request: Request, api: ComputeApiLike, ctx: RequestContext
) -> compute_pb2.ListServersResponse:
    return await api.list_servers(ctx, list_request(request))


def _page_links(
    request: Request, links: views.Links, collection: str, next_marker: str
) -> dict[str, Any]:
    if not next_marker:
        return {}
    params = list(request.query_params.multi_items())
    return {"servers_links": links.next_page(collection, params, next_marker)}


@router.get("/servers", openapi_extra=LIST_DOC)
async def list_servers(request: Request, api: Api, ctx: Ctx, links: LinksDep) -> dict[str, Any]:
    page = await _list(request, api, ctx)
    return {
        "servers": [views.server_summary(s, links) for s in page.servers],
        **_page_links(request, links, "servers", page.next_marker),
    }


@router.get("/servers/detail", openapi_extra=LIST_DOC)
async def list_servers_detail(
    request: Request, api: Api, ctx: Ctx, links: LinksDep
) -> dict[str, Any]:
    page = await _list(request, api, ctx)
    return {
        "servers": [views.server_detail(s, links, is_admin=ctx.is_admin) for s in page.servers],
        **_page_links(request, links, "servers/detail", page.next_marker),
    }


@router.get("/servers/{server_id}")
async def show_server(server_id: str, api: Api, ctx: Ctx, links: LinksDep) -> dict[str, Any]:
    instance = await api.get_server(ctx, server_id)
    return {"server": views.server_detail(instance, links, is_admin=ctx.is_admin)}


@router.delete("/servers/{server_id}", status_code=204)
async def delete_server(server_id: str, api: Api, ctx: Ctx) -> Response:
    await api.delete_server(ctx, server_id)
    return Response(status_code=204)


@router.post(
    "/servers/{server_id}/action", status_code=202, openapi_extra=json_body_doc(ACTION_SCHEMA)
)
async def server_action(server_id: str, request: Request, api: Api, ctx: Ctx) -> Response:
    body = await parsing.json_body(request)
    if isinstance(body, dict) and len(body) == 1 and next(iter(body)) in consoles.ACTIONS:
        return await consoles.server_action(request, ctx, server_id, body)
    action, reboot_type = action_request(body)
    await api.server_action(ctx, server_id, action, reboot_type)
    return Response(status_code=202)


@router.get("/servers/{server_id}/os-instance-actions")
async def list_instance_actions(server_id: str, api: Api, ctx: Ctx) -> dict[str, Any]:
    actions = await api.list_instance_actions(ctx, server_id)
    return {"instanceActions": views.instance_actions(actions)}


@router.get("/servers/{server_id}/os-instance-actions/{request_id}")
async def show_instance_action(
    server_id: str, request_id: str, api: Api, ctx: Ctx
) -> dict[str, Any]:
    actions = await api.list_instance_actions(ctx, server_id)
    for action in actions:
        if action.request_id == request_id:
            return {"instanceAction": {**views.instance_action(action), "events": []}}
    raise ApiError(404, f"Action {request_id} could not be found.")
