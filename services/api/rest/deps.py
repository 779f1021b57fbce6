"""What every route needs: the service layer, the caller's context and where links point."""

from __future__ import annotations

from typing import Protocol

from fastapi import Request

from services.api.rest.views import Links
from services.runtime.context import RequestContext
from stratus.v1 import compute_pb2, types_pb2


class ComputeApiLike(Protocol):
    """The service layer the gateway translates to (services.api.service.ComputeApi)."""

    async def create_servers(
        self, ctx: RequestContext, req: compute_pb2.CreateServersRequest
    ) -> compute_pb2.CreateServersResponse: ...

    async def get_server(self, ctx: RequestContext, server_id: str) -> types_pb2.Instance: ...

    async def list_servers(
        self, ctx: RequestContext, req: compute_pb2.ListServersRequest
    ) -> compute_pb2.ListServersResponse: ...

    async def delete_server(self, ctx: RequestContext, server_id: str) -> None: ...

    async def server_action(
        self, ctx: RequestContext, server_id: str, action: str, reboot_type: str = ""
    ) -> None: ...

    async def list_instance_actions(
        self, ctx: RequestContext, server_id: str
    ) -> list[types_pb2.InstanceAction]: ...

    async def list_flavors(self, ctx: RequestContext) -> list[types_pb2.Flavor]: ...

    async def get_flavor(self, ctx: RequestContext, flavor_ref: str) -> types_pb2.Flavor: ...

    async def create_flavor(
        self, ctx: RequestContext, flavor: types_pb2.Flavor
    ) -> types_pb2.Flavor: ...

    async def list_images(self, ctx: RequestContext, name: str = "") -> list[types_pb2.Image]: ...

    async def get_image(self, ctx: RequestContext, image_id: str) -> types_pb2.Image: ...

    async def list_hosts(self, ctx: RequestContext) -> list[compute_pb2.HostView]: ...

    async def list_services(self, ctx: RequestContext) -> list[compute_pb2.ServiceView]: ...


def get_api(request: Request) -> ComputeApiLike:
    api: ComputeApiLike = request.app.state.compute_api
    return api


def get_context(request: Request) -> RequestContext:
    """The context the middleware resolved for this request."""
    ctx: RequestContext = request.state.context
    return ctx


def get_links(request: Request) -> Links:
    """Links from the configured public URL, else from the URL the client used."""
    public_url: str = request.app.state.public_url
    return Links.from_base(public_url or str(request.base_url))
