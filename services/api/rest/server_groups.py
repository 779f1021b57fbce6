"""`/v2.1/os-server-groups`: create, list, show and delete server groups."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from services.api.rest import parsing, views
from services.api.rest.deps import ComputeApiLike, get_api, get_context
from services.api.rest.errors import BadRequest
from services.api.server_groups import MAX_SERVER_PER_HOST, POLICIES
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


def _policy(group: dict[str, Any]) -> str:
    if "policies" in group and "policy" in group:
        raise BadRequest("Give either 'policies' (a list of one) or 'policy', not both.")
    if "policies" in group:
        policies = group["policies"]
        if not isinstance(policies, list) or len(policies) != 1:
            raise parsing.invalid("policies", policies, "It must be a list of exactly one policy.")
        (policy,) = policies
    elif "policy" in group:
        policy = group["policy"]
    else:
        raise BadRequest("'policies' is a required property")
    if not isinstance(policy, str) or policy not in POLICIES:
        raise parsing.invalid("policies", policy, f"{policy!r} is not one of {list(POLICIES)}")
    return policy


def create_request(body: Any) -> compute_pb2.CreateServerGroupRequest:
    """A Nova 2.1 body (`policies`: a list of one) or a 2.64 one (`policy` and `rules`)."""
    group = parsing.require_object(body, "server_group")
    parsing.only_keys(group, ("name", "policies", "policy", "rules"), "server_group")
    request = compute_pb2.CreateServerGroupRequest(
        name=parsing.string(group, "name", required=True), policy=_policy(group)
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
async def create_server_group(request: Request, api: Api, ctx: Ctx) -> dict[str, Any]:
    message = create_request(await parsing.json_body(request))
    return {"server_group": views.server_group(await api.create_server_group(ctx, message))}


@router.get("/os-server-groups", openapi_extra=LIST_DOC)
async def list_server_groups(request: Request, api: Api, ctx: Ctx) -> dict[str, Any]:
    everyone = parsing.query_flag(request, "all_projects")
    groups = await api.list_server_groups(ctx, everyone)
    return {"server_groups": [views.server_group(g) for g in groups]}


@router.get("/os-server-groups/{group_id}")
async def show_server_group(group_id: str, api: Api, ctx: Ctx) -> dict[str, Any]:
    return {"server_group": views.server_group(await api.get_server_group(ctx, group_id))}


@router.delete("/os-server-groups/{group_id}", status_code=204)
async def delete_server_group(group_id: str, api: Api, ctx: Ctx) -> Response:
    await api.delete_server_group(ctx, group_id)
    return Response(status_code=204)
