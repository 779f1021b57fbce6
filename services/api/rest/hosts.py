"""`/v2.1/os-hypervisors` and `/v2.1/os-services`: the operator's view of the cloud."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from services.api.rest import views
from services.api.rest.deps import ComputeApiLike, get_api, get_context
from services.runtime.context import RequestContext

router = APIRouter(prefix="/v2.1")

Api = Annotated[ComputeApiLike, Depends(get_api)]
Ctx = Annotated[RequestContext, Depends(get_context)]


@router.get("/os-hypervisors")
async def list_hypervisors(api: Api, ctx: Ctx) -> dict[str, Any]:
    hosts = await api.list_hosts(ctx)
    return {"hypervisors": [views.hypervisor_summary(h) for h in hosts]}


@router.get("/os-hypervisors/detail")
async def list_hypervisors_detail(api: Api, ctx: Ctx) -> dict[str, Any]:
    hosts = await api.list_hosts(ctx)
    return {"hypervisors": [views.hypervisor_detail(h) for h in hosts]}


@router.get("/os-services")
async def list_services(request: Request, api: Api, ctx: Ctx) -> dict[str, Any]:
    """Control processes and compute hosts; Nova's `binary` and `host` filters apply."""
    entries = views.services(
        await api.list_services(ctx),
        await api.list_hosts(ctx),
        await api.list_availability_zones(ctx, detail=True),
    )
    for key in ("binary", "host"):
        wanted = request.query_params.get(key)
        if wanted:
            entries = [entry for entry in entries if entry[key] == wanted]
    return {"services": entries}
