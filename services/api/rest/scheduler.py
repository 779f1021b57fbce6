"""`POST /v2.1/os-scheduler/explain` (admins): how a boot request would be placed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from services.api.rest import parsing, servers, views
from services.api.rest.deps import ComputeApiLike, get_api, get_context
from services.runtime.context import RequestContext

router = APIRouter(prefix="/v2.1")

Api = Annotated[ComputeApiLike, Depends(get_api)]
Ctx = Annotated[RequestContext, Depends(get_context)]


@router.post("/os-scheduler/explain", openapi_extra=servers.json_body_doc(servers.CREATE_SCHEMA))
async def explain(request: Request, api: Api, ctx: Ctx) -> dict[str, Any]:
    """The body of `POST /servers`; the answer: each filter's part and the top hosts."""
    message, _ = servers.create_request(await parsing.json_body(request))
    return views.explain(await api.explain_placement(ctx, message))
