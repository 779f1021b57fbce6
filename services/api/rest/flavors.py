"""`/v2.1/flavors`: list, show, (admins) create and delete, extra specs, and which projects
may use a non-public flavor (os-flavor-access)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from services.api.rest import microversions as mv
from services.api.rest import parsing, views
from services.api.rest.deps import (
    ComputeApiLike,
    Version,
    get_api,
    get_context,
    get_links,
)
from services.api.rest.errors import ApiError, BadRequest
from services.api.rest.microversions import Microversion
from services.runtime.context import RequestContext
from stratus.v1 import types_pb2

router = APIRouter(prefix="/v2.1")

Api = Annotated[ComputeApiLike, Depends(get_api)]
Ctx = Annotated[RequestContext, Depends(get_context)]
LinksDep = Annotated[views.Links, Depends(get_links)]


_INT = {"oneOf": [{"type": "integer"}, {"type": "string", "pattern": "^[0-9]+$"}]}
CREATE_SCHEMA = {
    "type": "object",
    "required": ["flavor"],
    "properties": {
        "flavor": {
            "type": "object",
            "required": ["name", "ram", "vcpus", "disk"],
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 255},
                "id": {"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]},
                "ram": _INT,
                "vcpus": _INT,
                "disk": _INT,
                "OS-FLV-EXT-DATA:ephemeral": _INT,
                "swap": _INT,
                "rxtx_factor": {"type": "number", "exclusiveMinimum": 0},
                "os-flavor-access:is_public": {"type": "boolean"},
                "description": {"type": ["string", "null"]},
            },
        }
    },
}


_CREATE_KEYS = (
    "name",
    "id",
    "ram",
    "vcpus",
    "disk",
    "OS-FLV-EXT-DATA:ephemeral",
    "swap",
    "rxtx_factor",
    "os-flavor-access:is_public",
)


def flavor_from_body(body: Any, version: Microversion = mv.MAX) -> types_pb2.Flavor:
    """The Flavor a Nova `POST /flavors` body describes (id empty: the service picks one);
    a description from 2.55."""
    spec = parsing.require_object(body, "flavor")
    allowed: tuple[str, ...] = _CREATE_KEYS
    if version >= mv.FLAVOR_DESCRIPTION:
        allowed = (*allowed, "description")
    parsing.only_keys(spec, allowed, "flavor")
    flavor_id = spec.get("id")
    if flavor_id is not None and (
        isinstance(flavor_id, bool) or not isinstance(flavor_id, str | int)
    ):
        raise parsing.invalid("id", flavor_id, f"{flavor_id!r} is not of type 'string', 'integer'")
    description = spec.get("description")
    if description is not None and not isinstance(description, str):
        raise parsing.invalid("description", description, "It is not of type 'string'")
    return types_pb2.Flavor(
        id="" if flavor_id is None else str(flavor_id),
        name=parsing.string(spec, "name", required=True),
        ram_mb=parsing.integer(spec, "ram", minimum=1, required=True),
        vcpus=parsing.integer(spec, "vcpus", minimum=1, required=True),
        disk_gb=parsing.integer(spec, "disk", minimum=0, required=True),
        ephemeral_gb=parsing.integer(spec, "OS-FLV-EXT-DATA:ephemeral", minimum=0),
        swap_mb=parsing.integer(spec, "swap", minimum=0),
        rxtx_factor=parsing.number(spec, "rxtx_factor", default=1.0),
        is_public=parsing.boolean(spec, "os-flavor-access:is_public", default=True),
        description=description or "",
    )


def _minimum(request: Request, key: str) -> int:
    raw = request.query_params.get(key)
    if raw is None:
        return 0
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"Invalid {key} filter [{raw}]") from None


async def _flavors(request: Request, api: ComputeApiLike, ctx: RequestContext) -> list[Any]:
    """The flavors the caller may use (an admin's `is_public` chooses), with Nova's `minRam`
    and `minDisk` filters applied."""
    min_ram, min_disk = _minimum(request, "minRam"), _minimum(request, "minDisk")
    is_public = request.query_params.get("is_public")
    if is_public is not None and not is_public.strip() and ctx.is_admin:
        # The service reads "" as "not given"; Nova refuses an empty value.
        raise BadRequest(f"Invalid is_public filter [{is_public}]")
    flavors = await api.list_flavors(ctx, is_public or "")
    return [f for f in flavors if f.ram_mb >= min_ram and f.disk_gb >= min_disk]


def _page(
    request: Request, links: views.Links, collection: str, flavors: list[Any]
) -> tuple[list[Any], dict[str, Any]]:
    """Nova's `marker` (a flavor id) and `limit` over the listed flavors, and the
    `flavors_links` to the next page when more follow."""
    marker = request.query_params.get("marker")
    if marker is not None:
        ids = [f.id for f in flavors]
        if marker not in ids:
            raise BadRequest(f"Marker {marker} could not be found.")
        flavors = flavors[ids.index(marker) + 1 :]
    limit = parsing.query_int(request, "limit")
    if limit is None or len(flavors) <= limit:
        return flavors, {}
    page = flavors[:limit]
    if not page:
        return page, {}
    params = list(request.query_params.multi_items())
    return page, {"flavors_links": links.next_page(collection, params, page[-1].id)}


@router.get("/flavors")
async def list_flavors(
    request: Request, api: Api, ctx: Ctx, links: LinksDep, version: Version
) -> dict[str, Any]:
    flavors, more = _page(request, links, "flavors", await _flavors(request, api, ctx))
    return {"flavors": [views.flavor_summary(f, links, version) for f in flavors], **more}


@router.get("/flavors/detail")
async def list_flavors_detail(
    request: Request, api: Api, ctx: Ctx, links: LinksDep, version: Version
) -> dict[str, Any]:
    flavors, more = _page(request, links, "flavors/detail", await _flavors(request, api, ctx))
    return {"flavors": [views.flavor_detail(f, links, version) for f in flavors], **more}


@router.get("/flavors/{flavor_id}")
async def show_flavor(
    flavor_id: str, api: Api, ctx: Ctx, links: LinksDep, version: Version
) -> dict[str, Any]:
    return {"flavor": views.flavor_detail(await api.get_flavor(ctx, flavor_id), links, version)}


@router.post(
    "/flavors",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": CREATE_SCHEMA}},
        }
    },
)
async def create_flavor(
    request: Request, api: Api, ctx: Ctx, links: LinksDep, version: Version
) -> dict[str, Any]:
    flavor = flavor_from_body(await parsing.json_body(request), version)
    created = await api.create_flavor(ctx, flavor)
    return {"flavor": views.flavor_detail(created, links, version)}


@router.delete("/flavors/{flavor_id}", status_code=202, response_class=Response)
async def delete_flavor(flavor_id: str, api: Api, ctx: Ctx) -> Response:
    await api.delete_flavor(ctx, flavor_id)
    return Response(status_code=202)


# ---------------------------------------------------------------------------- extra specs

EXTRA_SPECS_SCHEMA = {
    "type": "object",
    "required": ["extra_specs"],
    "properties": {
        "extra_specs": {
            "type": "object",
            "additionalProperties": {"type": "string", "maxLength": 255},
        }
    },
}
EXTRA_SPEC_SCHEMA = {
    "type": "object",
    "minProperties": 1,
    "maxProperties": 1,
    "additionalProperties": {"type": "string", "maxLength": 255},
}


def _spec_values(specs: dict[str, Any], where: str) -> dict[str, str]:
    """Extra specs: string keys and values of at most 255 characters each."""
    for key, value in specs.items():
        if not key or len(key) > 255:
            raise parsing.invalid(where, key, "Extra spec keys must be 1 to 255 characters long.")
        if not isinstance(value, str):
            raise parsing.invalid(f"{where}.{key}", value, f"{value!r} is not of type 'string'")
        if len(value) > 255:
            raise parsing.invalid(f"{where}.{key}", value, "It is longer than 255 characters.")
    return dict(specs)


def extra_specs_from_body(body: Any) -> dict[str, str]:
    """The specs of a `POST /flavors/{id}/os-extra_specs` body."""
    return _spec_values(parsing.require_object(body, "extra_specs"), "extra_specs")


def extra_spec_from_body(body: Any, key: str) -> dict[str, str]:
    """The one spec of a `PUT /flavors/{id}/os-extra_specs/{key}` body: `{key: value}`."""
    if not isinstance(body, dict) or not body:
        raise BadRequest("Malformed request body: expected a JSON object with one extra spec.")
    if len(body) > 1:
        raise BadRequest("Request body contains too many items")
    if key not in body:
        raise BadRequest("Request body and URI mismatch")
    return _spec_values(body, "extra_spec")


@router.get("/flavors/{flavor_id}/os-extra_specs")
async def list_extra_specs(flavor_id: str, api: Api, ctx: Ctx) -> dict[str, Any]:
    return views.extra_specs(await api.get_flavor(ctx, flavor_id))


@router.post(
    "/flavors/{flavor_id}/os-extra_specs",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": EXTRA_SPECS_SCHEMA}},
        }
    },
)
async def create_extra_specs(
    flavor_id: str, request: Request, api: Api, ctx: Ctx
) -> dict[str, Any]:
    """Merge the body's specs into the flavor's; Nova answers with the body's specs."""
    specs = extra_specs_from_body(await parsing.json_body(request))
    await api.set_flavor_extra_specs(ctx, flavor_id, specs)
    return {"extra_specs": specs}


@router.get("/flavors/{flavor_id}/os-extra_specs/{key}")
async def show_extra_spec(flavor_id: str, key: str, api: Api, ctx: Ctx) -> dict[str, Any]:
    flavor = await api.get_flavor(ctx, flavor_id)
    if key not in flavor.extra_specs:
        raise ApiError(404, f"Flavor {flavor_id} has no extra specs with key {key}.")
    return {key: flavor.extra_specs[key]}


@router.put(
    "/flavors/{flavor_id}/os-extra_specs/{key}",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": EXTRA_SPEC_SCHEMA}},
        }
    },
)
async def update_extra_spec(
    flavor_id: str, key: str, request: Request, api: Api, ctx: Ctx
) -> dict[str, Any]:
    spec = extra_spec_from_body(await parsing.json_body(request), key)
    await api.set_flavor_extra_specs(ctx, flavor_id, spec)
    return spec


@router.delete("/flavors/{flavor_id}/os-extra_specs/{key}", response_class=Response)
async def delete_extra_spec(flavor_id: str, key: str, api: Api, ctx: Ctx) -> Response:
    """Nova answers 200 with an empty body."""
    await api.delete_flavor_extra_spec(ctx, flavor_id, key)
    return Response(status_code=200)


# ---------------------------------------------------------------------------- flavor access

_TENANT = {"type": "string", "minLength": 1, "maxLength": 255}
ACCESS_ACTIONS = ("addTenantAccess", "removeTenantAccess")
ACCESS_ACTION_SCHEMA = {
    "type": "object",
    "minProperties": 1,
    "maxProperties": 1,
    "properties": {
        action: {
            "type": "object",
            "required": ["tenant"],
            "properties": {"tenant": _TENANT},
            "additionalProperties": False,
        }
        for action in ACCESS_ACTIONS
    },
    "additionalProperties": False,
}


def access_action_from_body(body: Any) -> tuple[str, str]:
    """The action (addTenantAccess or removeTenantAccess) and the project it names."""
    action, value = parsing.single_action(body, ACCESS_ACTIONS)
    if not isinstance(value, dict):
        raise parsing.invalid(action, value, f"{value!r} is not of type 'object'")
    parsing.only_keys(value, ("tenant",), action)
    tenant = value.get("tenant")
    if tenant is None:
        raise BadRequest("'tenant' is a required property")
    if not isinstance(tenant, str):
        raise parsing.invalid(f"{action}/tenant", tenant, f"{tenant!r} is not of type 'string'")
    if not 1 <= len(tenant) <= 255:
        raise parsing.invalid(f"{action}/tenant", tenant, "It must be 1 to 255 characters long.")
    return action, tenant


@router.get("/flavors/{flavor_id}/os-flavor-access")
async def list_flavor_access(flavor_id: str, api: Api, ctx: Ctx) -> dict[str, Any]:
    return views.flavor_access(await api.list_flavor_access(ctx, flavor_id))


@router.post(
    "/flavors/{flavor_id}/action",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ACCESS_ACTION_SCHEMA}},
        }
    },
)
async def flavor_action(flavor_id: str, request: Request, api: Api, ctx: Ctx) -> dict[str, Any]:
    """Nova's flavor actions: give a project access to a non-public flavor, or take it away;
    both answer with the flavor's access list after the change."""
    action, tenant = access_action_from_body(await parsing.json_body(request))
    if action == "addTenantAccess":
        access = await api.add_flavor_access(ctx, flavor_id, tenant)
    else:
        access = await api.remove_flavor_access(ctx, flavor_id, tenant)
    return views.flavor_access(access)
