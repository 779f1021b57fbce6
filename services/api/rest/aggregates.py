"""`/v2.1/os-aggregates` (admins) and `/v2.1/os-availability-zone`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from services.api.rest import parsing, views
from services.api.rest.deps import ComputeApiLike, Version, get_api, get_context
from services.api.rest.errors import BadRequest
from services.runtime.context import RequestContext

router = APIRouter(prefix="/v2.1")

Api = Annotated[ComputeApiLike, Depends(get_api)]
Ctx = Annotated[RequestContext, Depends(get_context)]

_NAME = {"type": "string", "minLength": 1, "maxLength": 255}
_ZONE = {"type": ["string", "null"], "minLength": 1, "maxLength": 255}
CREATE_SCHEMA = {
    "type": "object",
    "required": ["aggregate"],
    "properties": {
        "aggregate": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": _NAME, "availability_zone": _ZONE},
            "additionalProperties": False,
        }
    },
}
UPDATE_SCHEMA = {
    "type": "object",
    "required": ["aggregate"],
    "properties": {
        "aggregate": {
            "type": "object",
            "minProperties": 1,
            "properties": {"name": _NAME, "availability_zone": _ZONE},
            "additionalProperties": False,
        }
    },
}
_HOST = {
    "type": "object",
    "required": ["host"],
    "properties": {"host": _NAME},
    "additionalProperties": False,
}
ACTION_SCHEMA = {
    "type": "object",
    "minProperties": 1,
    "maxProperties": 1,
    "properties": {
        "add_host": _HOST,
        "remove_host": _HOST,
        "set_metadata": {
            "type": "object",
            "required": ["metadata"],
            "properties": {
                "metadata": {
                    "type": "object",
                    "additionalProperties": {"type": ["string", "null"], "maxLength": 255},
                }
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}
ACTIONS = ("add_host", "remove_host", "set_metadata")


def _doc(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _zone(fields: dict[str, Any]) -> str | None:
    """The `availability_zone` given: None when absent, "" when null (no zone)."""
    if "availability_zone" not in fields:
        return None
    zone = fields["availability_zone"]
    if zone is None:
        return ""
    if not isinstance(zone, str):
        raise parsing.invalid("availability_zone", zone, f"{zone!r} is not of type 'string'")
    if not zone:
        raise parsing.invalid("availability_zone", zone, "'' is too short")
    return zone


def create_request(body: Any) -> tuple[str, str]:
    """(name, zone) of a `POST /os-aggregates` body; zone "" for none."""
    fields = parsing.require_object(body, "aggregate")
    parsing.only_keys(fields, ("name", "availability_zone"), "aggregate")
    return parsing.string(fields, "name", required=True), _zone(fields) or ""


def update_request(body: Any) -> tuple[str | None, str | None]:
    """(name, zone) of a `PUT /os-aggregates/{id}` body; None keeps, zone "" removes."""
    fields = parsing.require_object(body, "aggregate")
    parsing.only_keys(fields, ("name", "availability_zone"), "aggregate")
    if not fields:
        raise parsing.invalid("aggregate", fields, "{} does not have enough properties")
    name = parsing.string(fields, "name", required=True) if "name" in fields else None
    return name, _zone(fields)


def _host(value: Any, action: str) -> str:
    if not isinstance(value, dict):
        raise parsing.invalid(action, value, f"{value!r} is not of type 'object'")
    parsing.only_keys(value, ("host",), action)
    return parsing.string(value, "host", required=True)


def metadata_request(value: Any) -> dict[str, str | None]:
    """The metadata of a `set_metadata` action: string values, null removes a key."""
    if not isinstance(value, dict):
        raise parsing.invalid("set_metadata", value, f"{value!r} is not of type 'object'")
    parsing.only_keys(value, ("metadata",), "set_metadata")
    if "metadata" not in value:
        raise BadRequest("'metadata' is a required property")
    metadata = value["metadata"]
    if not isinstance(metadata, dict):
        raise parsing.invalid("metadata", metadata, f"{metadata!r} is not of type 'object'")
    for key, item in metadata.items():
        if item is not None and not isinstance(item, str):
            raise parsing.invalid(f"metadata.{key}", item, f"{item!r} is not of type 'string'")
    return dict(metadata)


@router.get("/os-aggregates")
async def list_aggregates(api: Api, ctx: Ctx, version: Version) -> dict[str, Any]:
    return {"aggregates": [views.aggregate(a, version) for a in await api.list_aggregates(ctx)]}


@router.post("/os-aggregates", openapi_extra=_doc(CREATE_SCHEMA))
async def create_aggregate(
    request: Request, api: Api, ctx: Ctx, version: Version
) -> dict[str, Any]:
    name, zone = create_request(await parsing.json_body(request))
    created = await api.create_aggregate(ctx, name, zone)
    return {"aggregate": views.aggregate(created, version, created=True)}


@router.get("/os-aggregates/{aggregate_id}")
async def show_aggregate(aggregate_id: str, api: Api, ctx: Ctx, version: Version) -> dict[str, Any]:
    return {"aggregate": views.aggregate(await api.get_aggregate(ctx, aggregate_id), version)}


@router.put("/os-aggregates/{aggregate_id}", openapi_extra=_doc(UPDATE_SCHEMA))
async def update_aggregate(
    aggregate_id: str, request: Request, api: Api, ctx: Ctx, version: Version
) -> dict[str, Any]:
    name, zone = update_request(await parsing.json_body(request))
    updated = await api.update_aggregate(ctx, aggregate_id, name=name, availability_zone=zone)
    return {"aggregate": views.aggregate(updated, version)}


@router.delete("/os-aggregates/{aggregate_id}", response_class=Response)
async def delete_aggregate(aggregate_id: str, api: Api, ctx: Ctx) -> Response:
    """Nova answers 200 with an empty body."""
    await api.delete_aggregate(ctx, aggregate_id)
    return Response(status_code=200)


@router.post("/os-aggregates/{aggregate_id}/action", openapi_extra=_doc(ACTION_SCHEMA))
async def aggregate_action(
    aggregate_id: str, request: Request, api: Api, ctx: Ctx, version: Version
) -> dict[str, Any]:
    action, value = parsing.single_action(await parsing.json_body(request), ACTIONS)
    if action == "add_host":
        result = await api.add_aggregate_host(ctx, aggregate_id, _host(value, action))
    elif action == "remove_host":
        result = await api.remove_aggregate_host(ctx, aggregate_id, _host(value, action))
    else:
        result = await api.set_aggregate_metadata(ctx, aggregate_id, metadata_request(value))
    return {"aggregate": views.aggregate(result, version)}


@router.get("/os-availability-zone")
async def list_availability_zones(api: Api, ctx: Ctx) -> dict[str, Any]:
    return views.availability_zones(await api.list_availability_zones(ctx))


@router.get("/os-availability-zone/detail")
async def list_availability_zones_detail(api: Api, ctx: Ctx) -> dict[str, Any]:
    zones = await api.list_availability_zones(ctx, detail=True)
    return views.availability_zones_detail(
        zones, await api.list_hosts(ctx), await api.list_services(ctx)
    )
