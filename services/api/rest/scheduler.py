"""`POST /v2.1/os-scheduler/explain` (admins): how a boot request would be placed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from services.api.rest import parsing, views
from services.api.rest.deps import ComputeApiLike, Version, get_api, get_context
from services.api.rest.server_requests import CREATE_SCHEMA, create_request, json_body_doc
from services.runtime.context import RequestContext

router = APIRouter(prefix="/v2.1")

Api = Annotated[ComputeApiLike, Depends(get_api)]
Ctx = Annotated[RequestContext, Depends(get_context)]


@router.post("/os-scheduler/explain", openapi_extra=json_body_doc(CREATE_SCHEMA))
async def explain(request: Request, api: Api, ctx: Ctx, version: Version) -> dict[str, Any]:
    """The body of `POST /servers`; the answer: each filter's part and the top hosts."""
    message, _ = create_request(await parsing.json_body(request), version)
    return views.explain(await api.explain_placement(ctx, message))
