"""`/v2.1/os-quota-sets` and `/v2.1/limits`: a project's quota, its defaults and usage."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from services.api.rest import parsing, views
from services.api.rest.deps import ComputeApiLike, get_api, get_context
from services.api.rest.errors import BadRequest
from services.runtime.context import RequestContext

router = APIRouter(prefix="/v2.1")

Api = Annotated[ComputeApiLike, Depends(get_api)]
Ctx = Annotated[RequestContext, Depends(get_context)]

_LIMIT = {
    "oneOf": [
        {"type": "integer", "minimum": -1},
        {"type": "string", "pattern": "^-?[0-9]+$"},
    ]
}
UPDATE_SCHEMA = {
    "type": "object",
    "required": ["quota_set"],
    "properties": {
        "quota_set": {
            "type": "object",
            "properties": {"force": {"type": "boolean"}},
            "additionalProperties": _LIMIT,
        }
    },
}


def quota_update(body: Any) -> tuple[dict[str, int], bool]:
    """The limits of a `PUT` body and its `force` flag; integers may come as strings."""
    quota_set = parsing.require_object(body, "quota_set")
    force = parsing.boolean(quota_set, "force", default=False)
    limits: dict[str, int] = {}
    for name, value in quota_set.items():
        if name == "force":
            continue
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
            number = int(value.strip())
        if number is None:
            raise parsing.invalid(f"quota_set.{name}", value, f"{value!r} is not of type 'integer'")
        limits[name] = number
    if not limits:
        raise BadRequest("No quota limit given: name at least one resource in quota_set.")
    return limits, force


@router.get("/os-quota-sets/{project_id}")
async def show(project_id: str, api: Api, ctx: Ctx) -> dict[str, Any]:
    return views.quota_set(await api.get_quota_set(ctx, project_id))


@router.get("/os-quota-sets/{project_id}/detail")
async def show_detail(project_id: str, api: Api, ctx: Ctx) -> dict[str, Any]:
    return views.quota_set_detail(await api.get_quota_set(ctx, project_id))


@router.get("/os-quota-sets/{project_id}/defaults")
async def defaults(project_id: str, api: Api, ctx: Ctx) -> dict[str, Any]:
    return views.quota_set(await api.get_quota_defaults(ctx, project_id))


@router.put(
    "/os-quota-sets/{project_id}",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": UPDATE_SCHEMA}},
        }
    },
)
async def update(project_id: str, request: Request, api: Api, ctx: Ctx) -> dict[str, Any]:
    limits, force = quota_update(await parsing.json_body(request))
    updated = await api.update_quota_set(ctx, project_id, limits, force)
    return views.quota_set(updated, with_id=False)


@router.delete("/os-quota-sets/{project_id}", status_code=202)
async def revert(project_id: str, api: Api, ctx: Ctx) -> Response:
    """Back to the defaults (Nova answers 202 with no body)."""
    await api.delete_quota_set(ctx, project_id)
    return Response(status_code=202)


@router.get("/limits")
async def limits(request: Request, api: Api, ctx: Ctx) -> dict[str, Any]:
    """The caller's project's absolute limits and usage; `tenant_id` names another project
    (admins)."""
    return views.limits(await api.get_limits(ctx, request.query_params.get("tenant_id", "")))
