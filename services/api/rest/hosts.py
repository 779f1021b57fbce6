"""`/v2.1/os-hypervisors` and `/v2.1/os-services`: the operator's view of the cloud."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.exceptions import HTTPException

from services.api.rest import microversions as mv
from services.api.rest import parsing, views
from services.api.rest.deps import ComputeApiLike, Version, get_api, get_context, get_links
from services.api.rest.errors import BadRequest
from services.api.rest.microversions import Microversion
from services.runtime.context import RequestContext
from stratus.v1 import compute_pb2, types_pb2

router = APIRouter(prefix="/v2.1")

Api = Annotated[ComputeApiLike, Depends(get_api)]
Ctx = Annotated[RequestContext, Depends(get_context)]
LinksDep = Annotated[views.Links, Depends(get_links)]


def _not_found(hypervisor_id: str) -> HTTPException:
    return HTTPException(404, f"Hypervisor with ID {hypervisor_id} could not be found.")


async def _servers_by_host(
    api: ComputeApiLike, ctx: RequestContext
) -> dict[str, list[types_pb2.Instance]]:
    listed = await api.list_servers(ctx, compute_pb2.ListServersRequest(all_projects=True))
    by_host: dict[str, list[types_pb2.Instance]] = {}
    for instance in listed.servers:
        if instance.host:
            by_host.setdefault(instance.host, []).append(instance)
    return by_host


async def _hypervisor_page(
    request: Request,
    api: ComputeApiLike,
    ctx: RequestContext,
    links: views.Links,
    version: Microversion,
    detail: bool,
) -> dict[str, Any]:
    """A list of hypervisors: from 2.33 paged by `limit`/`marker`, from 2.53 filtered by
    `hypervisor_hostname_pattern` and with their servers on `with_servers`."""
    params = request.query_params
    hosts: Sequence[compute_pb2.HostView] = await api.list_hosts(ctx)
    with_servers = False
    if version >= mv.UUID_IDS:
        pattern = params.get("hypervisor_hostname_pattern")
        if pattern is not None:
            hosts = [h for h in hosts if pattern in h.host.name]
            if not hosts:
                raise HTTPException(404, f"No hypervisor matching '{pattern}' could be found.")
        with_servers = parsing.query_flag(request, "with_servers")
    if version >= mv.HYPERVISOR_PAGING:
        marker = params.get("marker")
        if marker is not None:
            ids = [views.hypervisor_id(h.host.name, version) for h in hosts]
            if marker not in ids:
                raise BadRequest(f"marker [{marker}] not found")
            hosts = hosts[ids.index(marker) + 1 :]
    limit = parsing.query_int(request, "limit") if version >= mv.HYPERVISOR_PAGING else None
    more = limit is not None and len(hosts) > limit
    if limit is not None:
        hosts = hosts[:limit]
    by_host = await _servers_by_host(api, ctx) if with_servers else {}
    entries = []
    for host in hosts:
        entry = (
            views.hypervisor_detail(host, version)
            if detail
            else views.hypervisor_summary(host, version)
        )
        servers = by_host.get(host.host.name, [])
        if with_servers and (servers or version >= mv.HYPERVISOR_SERVERS_ALWAYS):
            entry["servers"] = views.hypervisor_servers(servers)
        entries.append(entry)
    body: dict[str, Any] = {"hypervisors": entries}
    if more and entries:
        collection = "os-hypervisors/detail" if detail else "os-hypervisors"
        body["hypervisors_links"] = links.next_page(
            collection, list(params.multi_items()), entries[-1]["id"]
        )
    return body


@router.get("/os-hypervisors")
async def list_hypervisors(
    request: Request, api: Api, ctx: Ctx, links: LinksDep, version: Version
) -> dict[str, Any]:
    return await _hypervisor_page(request, api, ctx, links, version, detail=False)


@router.get("/os-hypervisors/detail")
async def list_hypervisors_detail(
    request: Request, api: Api, ctx: Ctx, links: LinksDep, version: Version
) -> dict[str, Any]:
    return await _hypervisor_page(request, api, ctx, links, version, detail=True)


@router.get("/os-hypervisors/{hypervisor_id}/search")
async def search_hypervisors(
    hypervisor_id: str, api: Api, ctx: Ctx, version: Version
) -> dict[str, Any]:
    """Hypervisors whose name contains the given text; 404 when none does, as Nova answers.
    Replaced by `hypervisor_hostname_pattern` at 2.53."""
    mv.served_between(version, last=mv.before(mv.UUID_IDS))
    pattern = hypervisor_id
    found = [
        views.hypervisor_summary(h, version)
        for h in await api.list_hosts(ctx)
        if pattern in h.host.name
    ]
    if not found:
        raise HTTPException(404, f"No hypervisor matching '{pattern}' could be found.")
    return {"hypervisors": found}


async def _host(
    api: ComputeApiLike, ctx: RequestContext, hypervisor_id: str, version: Microversion
) -> compute_pb2.HostView:
    for host in await api.list_hosts(ctx):
        if views.hypervisor_id(host.host.name, version) == hypervisor_id:
            return host
    raise _not_found(hypervisor_id)


# Nova's "not implemented" answer, outside the API description: it serves no data.
@router.get("/os-hypervisors/{hypervisor_id}/uptime", include_in_schema=False)
async def hypervisor_uptime(
    hypervisor_id: str, api: Api, ctx: Ctx, version: Version
) -> dict[str, Any]:
    """Nova's answer when the virt driver keeps no uptime: 501 for a known hypervisor.
    Gone at 2.88, where `show` carries the uptime."""
    mv.served_between(version, last=mv.before(mv.HYPERVISOR_STATISTICS_REMOVED))
    await _host(api, ctx, hypervisor_id, version)
    raise HTTPException(501, "Virt driver does not implement host uptime function.")


@router.get("/os-hypervisors/{hypervisor_id}")
async def show_hypervisor(
    hypervisor_id: str, request: Request, api: Api, ctx: Ctx, version: Version
) -> dict[str, Any]:
    host = await _host(api, ctx, hypervisor_id, version)
    shown = views.hypervisor_detail(host, version, show=True)
    if version >= mv.UUID_IDS and parsing.query_flag(request, "with_servers"):
        servers = (await _servers_by_host(api, ctx)).get(host.host.name, [])
        if servers or version >= mv.HYPERVISOR_SERVERS_ALWAYS:
            shown["servers"] = views.hypervisor_servers(servers)
    return {"hypervisor": shown}


@router.get("/os-services")
async def list_services(request: Request, api: Api, ctx: Ctx, version: Version) -> dict[str, Any]:
    """Control processes and compute hosts; Nova's `binary` and `host` filters apply."""
    entries = views.services(
        await api.list_services(ctx),
        await api.list_hosts(ctx),
        await api.list_availability_zones(ctx, detail=True),
        version,
    )
    for key in ("binary", "host"):
        wanted = request.query_params.get(key)
        if wanted:
            entries = [entry for entry in entries if entry[key] == wanted]
    return {"services": entries}
