"""`/v2.1/servers`: create, list, show, update, delete, actions, tags and the action log.

Requests are read by `server_requests` and answers shaped by `views`, both at the
request's microversion.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from services.api.rest import consoles, parsing, views
from services.api.rest import microversions as mv
from services.api.rest.deps import ComputeApiLike, Version, get_api, get_context, get_links
from services.api.rest.errors import ApiError, BadRequest
from services.api.rest.microversions import Microversion
from services.api.rest.server_requests import (
    ACTION_SCHEMA,
    CREATE_SCHEMA,
    LIST_DOC,
    action_request,
    create_request,
    json_body_doc,
    list_request,
    update_request,
)
from services.runtime.context import RequestContext
from stratus.v1 import compute_pb2, types_pb2

router = APIRouter(prefix="/v2.1")

Api = Annotated[ComputeApiLike, Depends(get_api)]
Ctx = Annotated[RequestContext, Depends(get_context)]
LinksDep = Annotated[views.Links, Depends(get_links)]


async def _lookups(
    api: ComputeApiLike,
    ctx: RequestContext,
    version: Microversion,
    servers: list[types_pb2.Instance],
    *,
    show: bool = False,
) -> views.ServerLookups:
    """What the servers' views need besides the instances, read once for all of them."""
    host_status = None
    if version >= mv.HOST_STATUS and ctx.is_admin:
        # Hosts are read only when a server has one to report on.
        hosts = await api.list_hosts(ctx) if any(s.host for s in servers) else []
        host_status = {
            view.host.name: (
                "MAINTENANCE" if not view.host.enabled else "UP" if view.up else "DOWN"
            )
            for view in hosts
        }
    images: dict[str, types_pb2.Image] = {}
    if version >= mv.IMAGE_PROPERTIES and any(s.image_id for s in servers):
        images = {image.id: image for image in await api.list_images(ctx)}
    return views.ServerLookups(host_status=host_status, images=images, server_groups=show)


async def _detail(
    api: ComputeApiLike,
    ctx: RequestContext,
    links: views.Links,
    version: Microversion,
    instance: types_pb2.Instance,
) -> dict[str, Any]:
    lookups = await _lookups(api, ctx, version, [instance], show=True)
    return views.server_detail(instance, links, version, is_admin=ctx.is_admin, lookups=lookups)


@router.post("/servers", status_code=202, openapi_extra=json_body_doc(CREATE_SCHEMA))
async def create_servers(
    request: Request, api: Api, ctx: Ctx, links: LinksDep, version: Version
) -> Response:
    message, wants_reservation = create_request(await parsing.json_body(request), version)
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
    request: Request, api: ComputeApiLike, ctx: RequestContext, version: Microversion
) -> compute_pb2.ListServersResponse:
    message, nothing = list_request(request, version, is_admin=ctx.is_admin)
    if nothing:
        return compute_pb2.ListServersResponse()
    return await api.list_servers(ctx, message)


def _page_links(
    request: Request, links: views.Links, collection: str, next_marker: str
) -> dict[str, Any]:
    if not next_marker:
        return {}
    params = list(request.query_params.multi_items())
    return {"servers_links": links.next_page(collection, params, next_marker)}


@router.get("/servers", openapi_extra=LIST_DOC)
async def list_servers(
    request: Request, api: Api, ctx: Ctx, links: LinksDep, version: Version
) -> dict[str, Any]:
    page = await _list(request, api, ctx, version)
    return {
        "servers": [views.server_summary(s, links) for s in page.servers],
        **_page_links(request, links, "servers", page.next_marker),
    }


@router.get("/servers/detail", openapi_extra=LIST_DOC)
async def list_servers_detail(
    request: Request, api: Api, ctx: Ctx, links: LinksDep, version: Version
) -> dict[str, Any]:
    page = await _list(request, api, ctx, version)
    servers = list(page.servers)
    lookups = await _lookups(api, ctx, version, servers)
    return {
        "servers": [
            views.server_detail(s, links, version, is_admin=ctx.is_admin, lookups=lookups)
            for s in servers
        ],
        **_page_links(request, links, "servers/detail", page.next_marker),
    }


@router.get("/servers/{server_id}")
async def show_server(
    server_id: str, api: Api, ctx: Ctx, links: LinksDep, version: Version
) -> dict[str, Any]:
    instance = await api.get_server(ctx, server_id)
    return {"server": await _detail(api, ctx, links, version, instance)}


@router.put("/servers/{server_id}")
async def update_server(
    server_id: str, request: Request, api: Api, ctx: Ctx, links: LinksDep, version: Version
) -> dict[str, Any]:
    """Rename, describe (2.19) or set the hostname (2.90); Nova answers with the server."""
    changes = update_request(await parsing.json_body(request), version)
    updated = await api.update_server(ctx, server_id, **changes)
    return {"server": await _detail(api, ctx, links, version, updated)}


@router.delete("/servers/{server_id}", status_code=204)
async def delete_server(server_id: str, api: Api, ctx: Ctx) -> Response:
    await api.delete_server(ctx, server_id)
    return Response(status_code=204)


_ACTION_DOC = json_body_doc(
    {**ACTION_SCHEMA, "properties": {**ACTION_SCHEMA["properties"], **consoles.ACTION_PROPERTIES}}
)


@router.post(
    "/servers/{server_id}/action",
    status_code=202,
    response_class=Response,
    responses={
        200: {
            "description": "A console action's answer (os-getConsoleOutput, os-getVNCConsole)",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
    openapi_extra=_ACTION_DOC,
)
async def server_action(server_id: str, request: Request, api: Api, ctx: Ctx) -> Response:
    body = await parsing.json_body(request)
    if isinstance(body, dict) and len(body) == 1 and next(iter(body)) in consoles.ACTIONS:
        return await consoles.server_action(request, ctx, server_id, body)
    action, reboot_type = action_request(body)
    await api.server_action(ctx, server_id, action, reboot_type)
    return Response(status_code=202)


# ---------------------------------------------------------------------------- tags (2.26)


def _tags_body(body: Any) -> list[str]:
    """`{"tags": [...]}`: a list of strings."""
    tags = parsing.require_list(body, "tags")
    for tag in tags:
        if not isinstance(tag, str):
            raise parsing.invalid("tags", tag, f"{tag!r} is not of type 'string'")
    return list(tags)


@router.get("/servers/{server_id}/tags")
async def list_tags(server_id: str, api: Api, ctx: Ctx, version: Version) -> dict[str, Any]:
    mv.served_between(version, first=mv.SERVER_TAGS)
    return {"tags": list((await api.get_server(ctx, server_id)).tags)}


@router.put("/servers/{server_id}/tags")
async def replace_tags(
    server_id: str, request: Request, api: Api, ctx: Ctx, version: Version
) -> dict[str, Any]:
    mv.served_between(version, first=mv.SERVER_TAGS)
    tags = _tags_body(await parsing.json_body(request))
    updated, _ = await api.change_server_tags(ctx, server_id, replace=tags)
    return {"tags": list(updated.tags)}


@router.delete("/servers/{server_id}/tags", status_code=204)
async def delete_tags(server_id: str, api: Api, ctx: Ctx, version: Version) -> Response:
    mv.served_between(version, first=mv.SERVER_TAGS)
    await api.change_server_tags(ctx, server_id, replace=[])
    return Response(status_code=204)


@router.get("/servers/{server_id}/tags/{tag}", status_code=204)
async def check_tag(server_id: str, tag: str, api: Api, ctx: Ctx, version: Version) -> Response:
    mv.served_between(version, first=mv.SERVER_TAGS)
    if tag not in (await api.get_server(ctx, server_id)).tags:
        raise ApiError(404, f"Tag {tag} could not be found.")
    return Response(status_code=204)


@router.put(
    "/servers/{server_id}/tags/{tag}",
    status_code=201,
    response_class=Response,
    responses={204: {"description": "The server had the tag already"}},
)
async def add_tag(
    server_id: str, tag: str, api: Api, ctx: Ctx, links: LinksDep, version: Version
) -> Response:
    """201 with a Location when the tag is new, 204 when the server had it already."""
    mv.served_between(version, first=mv.SERVER_TAGS)
    _, added = await api.change_server_tags(ctx, server_id, add=(tag,))
    if not added:
        return Response(status_code=204)
    location = f"{links.compute}/servers/{server_id}/tags/{tag}"
    return Response(status_code=201, headers={"Location": location})


@router.delete("/servers/{server_id}/tags/{tag}", status_code=204)
async def delete_tag(server_id: str, tag: str, api: Api, ctx: Ctx, version: Version) -> Response:
    mv.served_between(version, first=mv.SERVER_TAGS)
    _, removed = await api.change_server_tags(ctx, server_id, remove=(tag,))
    if not removed:
        raise ApiError(404, f"Tag {tag} could not be found.")
    return Response(status_code=204)


# ---------------------------------------------------------------------------- action log


def _action_page(
    request: Request, actions: list[types_pb2.InstanceAction], version: Microversion
) -> tuple[list[types_pb2.InstanceAction], str]:
    """From 2.58: `changes-since`/`changes-before` (2.66) on the last update, then
    `marker` (a request id) and `limit`; the next marker ("" on the last page)."""
    if version < mv.ACTIONS_UPDATED_AT:
        return actions, ""
    params = request.query_params
    ordered = sorted(
        actions, key=lambda a: (a.start_time.seconds, a.start_time.nanos), reverse=True
    )

    def updated(action: types_pb2.InstanceAction) -> tuple[int, int]:
        stamp = action.finish_time if action.HasField("finish_time") else action.start_time
        return stamp.seconds, stamp.nanos

    for key, keep in (
        ("changes-since", lambda a, t: updated(a) >= (t.seconds, t.nanos)),
        ("changes-before", lambda a, t: updated(a) <= (t.seconds, t.nanos)),
    ):
        raw = params.get(key)
        if raw is None or (key == "changes-before" and version < mv.CHANGES_BEFORE):
            continue
        bound = parsing.parse_timestamp(key, raw)
        ordered = [a for a in ordered if keep(a, bound)]
    marker = params.get("marker")
    if marker is not None:
        ids = [a.request_id for a in ordered]
        if marker not in ids:
            raise BadRequest(f"Marker {marker} could not be found.")
        ordered = ordered[ids.index(marker) + 1 :]
    limit = parsing.query_int(request, "limit")
    if limit is not None and len(ordered) > limit:
        ordered = ordered[:limit]
        return ordered, ordered[-1].request_id if ordered else ""
    return ordered, ""


@router.get("/servers/{server_id}/os-instance-actions")
async def list_instance_actions(
    server_id: str, request: Request, api: Api, ctx: Ctx, links: LinksDep, version: Version
) -> dict[str, Any]:
    actions, next_marker = _action_page(
        request, list(await api.list_instance_actions(ctx, server_id)), version
    )
    body: dict[str, Any] = {"instanceActions": views.instance_actions(actions, version)}
    if next_marker:
        body["links"] = links.next_page(
            f"servers/{server_id}/os-instance-actions",
            list(request.query_params.multi_items()),
            next_marker,
        )
    return body


@router.get("/servers/{server_id}/os-instance-actions/{request_id}")
async def show_instance_action(
    server_id: str, request_id: str, api: Api, ctx: Ctx, version: Version
) -> dict[str, Any]:
    actions = await api.list_instance_actions(ctx, server_id)
    for action in actions:
        if action.request_id == request_id:
            instance = await api.get_server(ctx, server_id)
            events = views.action_events(action, instance, version, is_admin=ctx.is_admin)
            return {"instanceAction": {**views.instance_action(action, version), "events": events}}
    raise ApiError(404, f"Action {request_id} could not be found.")
