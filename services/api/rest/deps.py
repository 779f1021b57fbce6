"""What every route needs: the service layer, the caller's context and where links point."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Protocol

from fastapi import Depends, Request

from services.api.rest.microversions import Microversion
from services.api.rest.views import Links
from services.runtime.context import RequestContext
from stratus.v1 import compute_pb2, scheduler_pb2, types_pb2


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

    async def update_server(
        self,
        ctx: RequestContext,
        server_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        hostname: str | None = None,
    ) -> types_pb2.Instance: ...

    async def change_server_tags(
        self,
        ctx: RequestContext,
        server_id: str,
        *,
        replace: list[str] | None = None,
        add: tuple[str, ...] = (),
        remove: tuple[str, ...] = (),
    ) -> tuple[types_pb2.Instance, bool]: ...

    async def server_action(
        self, ctx: RequestContext, server_id: str, action: str, reboot_type: str = ""
    ) -> None: ...

    async def list_instance_actions(
        self, ctx: RequestContext, server_id: str
    ) -> list[types_pb2.InstanceAction]: ...

    async def list_flavors(
        self, ctx: RequestContext, is_public: str = ""
    ) -> list[types_pb2.Flavor]: ...

    async def get_flavor(self, ctx: RequestContext, flavor_ref: str) -> types_pb2.Flavor: ...

    async def create_flavor(
        self, ctx: RequestContext, flavor: types_pb2.Flavor
    ) -> types_pb2.Flavor: ...

    async def delete_flavor(self, ctx: RequestContext, flavor_id: str) -> None: ...

    async def list_images(self, ctx: RequestContext, name: str = "") -> list[types_pb2.Image]: ...

    async def get_image(self, ctx: RequestContext, image_id: str) -> types_pb2.Image: ...

    async def list_hosts(self, ctx: RequestContext) -> list[compute_pb2.HostView]: ...

    async def list_services(self, ctx: RequestContext) -> list[compute_pb2.ServiceView]: ...

    async def set_flavor_extra_specs(
        self, ctx: RequestContext, flavor_id: str, extra_specs: dict[str, str]
    ) -> types_pb2.Flavor: ...

    async def delete_flavor_extra_spec(
        self, ctx: RequestContext, flavor_id: str, key: str
    ) -> types_pb2.Flavor: ...

    async def list_flavor_access(
        self, ctx: RequestContext, flavor_id: str
    ) -> list[compute_pb2.FlavorAccess]: ...

    async def add_flavor_access(
        self, ctx: RequestContext, flavor_id: str, project_id: str
    ) -> list[compute_pb2.FlavorAccess]: ...

    async def remove_flavor_access(
        self, ctx: RequestContext, flavor_id: str, project_id: str
    ) -> list[compute_pb2.FlavorAccess]: ...

    async def create_server_group(
        self, ctx: RequestContext, request: compute_pb2.CreateServerGroupRequest
    ) -> types_pb2.ServerGroup: ...

    async def list_server_groups(
        self, ctx: RequestContext, all_projects: bool = False
    ) -> list[types_pb2.ServerGroup]: ...

    async def get_server_group(
        self, ctx: RequestContext, group_id: str
    ) -> types_pb2.ServerGroup: ...

    async def delete_server_group(self, ctx: RequestContext, group_id: str) -> None: ...

    async def create_aggregate(
        self, ctx: RequestContext, name: str, availability_zone: str = ""
    ) -> types_pb2.Aggregate: ...

    async def list_aggregates(self, ctx: RequestContext) -> list[types_pb2.Aggregate]: ...

    async def get_aggregate(
        self, ctx: RequestContext, aggregate_id: str
    ) -> types_pb2.Aggregate: ...

    async def update_aggregate(
        self,
        ctx: RequestContext,
        aggregate_id: str,
        *,
        name: str | None = None,
        availability_zone: str | None = None,
    ) -> types_pb2.Aggregate: ...

    async def delete_aggregate(self, ctx: RequestContext, aggregate_id: str) -> None: ...

    async def add_aggregate_host(
        self, ctx: RequestContext, aggregate_id: str, host: str
    ) -> types_pb2.Aggregate: ...

    async def remove_aggregate_host(
        self, ctx: RequestContext, aggregate_id: str, host: str
    ) -> types_pb2.Aggregate: ...

    async def set_aggregate_metadata(
        self, ctx: RequestContext, aggregate_id: str, metadata: dict[str, str | None]
    ) -> types_pb2.Aggregate: ...

    async def list_availability_zones(
        self, ctx: RequestContext, detail: bool = False
    ) -> list[compute_pb2.AvailabilityZone]: ...

    async def explain_placement(
        self, ctx: RequestContext, request: compute_pb2.CreateServersRequest
    ) -> scheduler_pb2.ExplainResponse: ...

    async def get_quota_set(
        self, ctx: RequestContext, project_id: str = ""
    ) -> compute_pb2.QuotaSetResponse: ...

    async def get_quota_defaults(
        self, ctx: RequestContext, project_id: str = ""
    ) -> compute_pb2.QuotaSetResponse: ...

    async def update_quota_set(
        self,
        ctx: RequestContext,
        project_id: str,
        limits: Mapping[str, int],
        force: bool = False,
    ) -> compute_pb2.QuotaSetResponse: ...

    async def delete_quota_set(self, ctx: RequestContext, project_id: str) -> None: ...

    async def get_limits(
        self, ctx: RequestContext, project_id: str = ""
    ) -> compute_pb2.LimitsResponse: ...


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


def get_microversion(request: Request) -> Microversion:
    """The compute microversion the middleware negotiated for this request."""
    version: Microversion = request.state.microversion
    return version


Version = Annotated[Microversion, Depends(get_microversion)]
