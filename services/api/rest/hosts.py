"""`/v2.1/os-hypervisors` and `/v2.1/os-services`: the operator's view of the cloud."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.exceptions import HTTPException

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


@router.get("/os-hypervisors/{hypervisor_id}/search")
async def search_hypervisors(hypervisor_id: str, api: Api, ctx: Ctx) -> dict[str, Any]:
    """Hypervisors whose name contains the given text; 404 when none does, as Nova answers."""
    pattern = hypervisor_id
    found = [
        views.hypervisor_summary(h) for h in await api.list_hosts(ctx) if pattern in h.host.name
    ]
    if not found:
        raise HTTPException(404, f"No hypervisor matching '{pattern}' could be found.")
    return {"hypervisors": found}


# Nova's "not implemented" answer, outside the API description: it serves no data.
@router.get("/os-hypervisors/{hypervisor_id}/uptime", include_in_schema=False)
async def hypervisor_uptime(hypervisor_id: str, api: Api, ctx: Ctx) -> dict[str, Any]:
    """Nova's answer when the virt driver keeps no uptime: 501 for a known hypervisor."""
    if any(host.host.name == hypervisor_id for host in await api.list_hosts(ctx)):
        raise HTTPException(501, "Virt driver does not implement host uptime function.")
    raise HTTPException(404, f"Hypervisor with ID {hypervisor_id} could not be found.")


@router.get("/os-hypervisors/{hypervisor_id}")
async def show_hypervisor(hypervisor_id: str, api: Api, ctx: Ctx) -> dict[str, Any]:
    for host in await api.list_hosts(ctx):
        if host.host.name == hypervisor_id:
            return {"hypervisor": views.hypervisor_detail(host)}
    raise HTTPException(404, f"Hypervisor with ID {hypervisor_id} could not be found.")


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
