"""`/v2.1/os-quota-sets` and `/v2.1/limits`: a project's quota, its defaults and usage."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from services.api.rest import microversions as mv
from services.api.rest import parsing, views
from services.api.rest.deps import ComputeApiLike, Version, get_api, get_context
from services.api.rest.errors import BadRequest
from services.api.rest.microversions import Microversion
from services.runtime.context import RequestContext

router = APIRouter(prefix="/v2.1")

Api = Annotated[ComputeApiLike, Depends(get_api)]
Ctx = Annotated[RequestContext, Depends(get_context)]

_LIMIT_TEXT = re.compile(r"-?[0-9]+")
_LIMIT = {
    "oneOf": [
        {"type": "integer", "minimum": -1, "maximum": parsing.MAX_INT},
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


def quota_update(body: Any, version: Microversion = mv.MAX) -> tuple[dict[str, int], bool]:
    """The limits of a `PUT` body and its `force` flag; integers may come as strings.
    Resources `version` no longer has are refused, as Nova's schema refuses them."""
    quota_set = parsing.require_object(body, "quota_set")
    gone = sorted(name for name in quota_set if not views.quota_shown(name, version))
    if gone:
        parsing.only_keys(quota_set, tuple(k for k in quota_set if k not in gone), "quota_set")
    force = parsing.boolean(quota_set, "force", default=False)
    limits: dict[str, int] = {}
    for name, value in quota_set.items():
        if name == "force":
            continue
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and _LIMIT_TEXT.fullmatch(value.strip()):
            text = value.strip()
            number = (
                -parsing.digits_value(text[1:]) if text[0] == "-" else parsing.digits_value(text)
            )
        if number is None:
            raise parsing.invalid(f"quota_set.{name}", value, f"{value!r} is not of type 'integer'")
        limits[name] = number
    if not limits:
        raise BadRequest("No quota limit given: name at least one resource in quota_set.")
    return limits, force


@router.get("/os-quota-sets/{project_id}")
async def show(project_id: str, api: Api, ctx: Ctx, version: Version) -> dict[str, Any]:
    return views.quota_set(await api.get_quota_set(ctx, project_id), version)


@router.get("/os-quota-sets/{project_id}/detail")
async def show_detail(project_id: str, api: Api, ctx: Ctx, version: Version) -> dict[str, Any]:
    return views.quota_set_detail(await api.get_quota_set(ctx, project_id), version)


@router.get("/os-quota-sets/{project_id}/defaults")
async def defaults(project_id: str, api: Api, ctx: Ctx, version: Version) -> dict[str, Any]:
    return views.quota_set(await api.get_quota_defaults(ctx, project_id), version)


@router.put(
    "/os-quota-sets/{project_id}",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": UPDATE_SCHEMA}},
        }
    },
)
async def update(
    project_id: str, request: Request, api: Api, ctx: Ctx, version: Version
) -> dict[str, Any]:
    limits, force = quota_update(await parsing.json_body(request), version)
    updated = await api.update_quota_set(ctx, project_id, limits, force)
    return views.quota_set(updated, version, with_id=False)


@router.delete("/os-quota-sets/{project_id}", status_code=202, response_class=Response)
async def revert(project_id: str, api: Api, ctx: Ctx) -> Response:
    """Back to the defaults (Nova answers 202 with no body)."""
    await api.delete_quota_set(ctx, project_id)
    return Response(status_code=202)


@router.get("/limits")
async def limits(request: Request, api: Api, ctx: Ctx, version: Version) -> dict[str, Any]:
    """The caller's project's absolute limits and usage; `tenant_id` names another project
    (admins)."""
    tenant = request.query_params.get("tenant_id", "")
    return views.limits(await api.get_limits(ctx, tenant), version)
