"""`/v2.1/os-server-groups`: create, list, show and delete server groups."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from services.api.rest import microversions as mv
from services.api.rest import parsing, views
from services.api.rest.deps import ComputeApiLike, Version, get_api, get_context
from services.api.rest.errors import BadRequest
from services.api.rest.microversions import Microversion
from services.api.server_groups import HARD_POLICIES, MAX_SERVER_PER_HOST, POLICIES
from services.runtime.context import RequestContext
from stratus.v1 import compute_pb2

router = APIRouter(prefix="/v2.1")

Api = Annotated[ComputeApiLike, Depends(get_api)]
Ctx = Annotated[RequestContext, Depends(get_context)]

CREATE_SCHEMA = {
    "type": "object",
    "required": ["server_group"],
    "properties": {
        "server_group": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 255},
                "policies": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 1,
                    "items": {"type": "string", "enum": list(POLICIES)},
                },
                "policy": {"type": "string", "enum": list(POLICIES)},
                "rules": {
                    "type": "object",
                    "properties": {MAX_SERVER_PER_HOST: {"type": "integer", "minimum": 1}},
                    "additionalProperties": False,
                },
            },
            "additionalProperties": False,
        }
    },
}
LIST_DOC: dict[str, Any] = {
    "parameters": [
        {"name": "all_projects", "in": "query", "required": False, "schema": {"type": "string"}}
    ]
}


def _policy(group: dict[str, Any], version: Microversion) -> str:
    """The group's one policy: `policies` (a list of one) before 2.64, `policy` from it;
    the soft policies from 2.15."""
    key = "policy" if version >= mv.SERVER_GROUP_POLICY else "policies"
    if key not in group:
        raise BadRequest(f"'{key}' is a required property")
    if key == "policies":
        policies = group["policies"]
        if not isinstance(policies, list) or len(policies) != 1:
            raise parsing.invalid("policies", policies, "It must be a list of exactly one policy.")
        (policy,) = policies
    else:
        policy = group["policy"]
    allowed = POLICIES if version >= mv.SOFT_GROUP_POLICIES else HARD_POLICIES
    if not isinstance(policy, str) or policy not in allowed:
        raise parsing.invalid(key, policy, f"{policy!r} is not one of {list(allowed)}")
    return policy


def create_request(
    body: Any, version: Microversion = mv.MAX
) -> compute_pb2.CreateServerGroupRequest:
    """A body as `version` reads it: `policies` before 2.64, `policy` and `rules` from it."""
    group = parsing.require_object(body, "server_group")
    keys = (
        ("name", "policy", "rules") if version >= mv.SERVER_GROUP_POLICY else ("name", "policies")
    )
    parsing.only_keys(group, keys, "server_group")
    request = compute_pb2.CreateServerGroupRequest(
        name=parsing.string(group, "name", required=True), policy=_policy(group, version)
    )
    rules = group.get("rules")
    if rules is not None:
        if not isinstance(rules, dict):
            raise parsing.invalid("rules", rules, f"{rules!r} is not of type 'object'")
        parsing.only_keys(rules, (MAX_SERVER_PER_HOST,), "rules")
        if MAX_SERVER_PER_HOST in rules:
            limit = parsing.integer(rules, MAX_SERVER_PER_HOST, minimum=1, required=True)
            request.rules[MAX_SERVER_PER_HOST] = str(limit)
    return request


@router.post(
    "/os-server-groups",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": CREATE_SCHEMA}},
        }
    },
)
async def create_server_group(
    request: Request, api: Api, ctx: Ctx, version: Version
) -> dict[str, Any]:
    message = create_request(await parsing.json_body(request), version)
    created = await api.create_server_group(ctx, message)
    return {"server_group": views.server_group(created, version)}


@router.get("/os-server-groups", openapi_extra=LIST_DOC)
async def list_server_groups(
    request: Request, api: Api, ctx: Ctx, version: Version
) -> dict[str, Any]:
    everyone = parsing.query_flag(request, "all_projects")
    # Nova pages server groups by `offset` and `limit` (non-negative integers).
    offset = parsing.query_int(request, "offset") or 0
    limit = parsing.query_int(request, "limit")
    groups = await api.list_server_groups(ctx, everyone)
    page = groups[offset:] if limit is None else groups[offset : offset + limit]
    return {"server_groups": [views.server_group(g, version) for g in page]}


@router.get("/os-server-groups/{group_id}")
async def show_server_group(group_id: str, api: Api, ctx: Ctx, version: Version) -> dict[str, Any]:
    group = await api.get_server_group(ctx, group_id)
    return {"server_group": views.server_group(group, version)}


@router.delete("/os-server-groups/{group_id}", status_code=204)
async def delete_server_group(group_id: str, api: Api, ctx: Ctx) -> Response:
    await api.delete_server_group(ctx, group_id)
    return Response(status_code=204)
