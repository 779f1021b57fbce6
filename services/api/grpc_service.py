"""The public Compute gRPC service: a thin adapter over the service layer.

The adapter checks what only the wire contract makes possible (a negative page size, a
revision no watch can start after), so every such request is INVALID_ARGUMENT before the
service layer sees it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, TypeAlias

import grpc

from services.api.consoles import ConsoleApi
from services.api.service import ComputeApi
from services.runtime import context
from services.runtime.errors import InvalidArgument
from stratus.v1 import compute_pb2, compute_pb2_grpc, scheduler_pb2
from stratus.v1 import types_pb2 as t

Ctx: TypeAlias = grpc.aio.ServicerContext[Any, Any]

# The last etcd revision a watch can start after: it starts at the next one, an int64.
MAX_WATCH_REVISION = 2**63 - 2


def _check_page(request: compute_pb2.ListServersRequest) -> None:
    if request.limit < 0:
        raise InvalidArgument(f"limit must not be negative, got {request.limit}.")


def _check_revision(revision: int) -> None:
    if not 0 <= revision <= MAX_WATCH_REVISION:
        raise InvalidArgument(
            f"from_revision must be from 0 to {MAX_WATCH_REVISION}, got {revision}."
        )


class ComputeService(compute_pb2_grpc.ComputeServicer):
    def __init__(self, api: ComputeApi, consoles: ConsoleApi) -> None:
        self.api = api
        self.consoles = consoles

    async def CreateServers(
        self, request: compute_pb2.CreateServersRequest, _: Ctx
    ) -> compute_pb2.CreateServersResponse:
        return await self.api.create_servers(context.current(), request)

    async def GetServer(self, request: compute_pb2.GetServerRequest, _: Ctx) -> t.Instance:
        return await self.api.get_server(context.current(), request.id)

    async def ListServers(
        self, request: compute_pb2.ListServersRequest, _: Ctx
    ) -> compute_pb2.ListServersResponse:
        _check_page(request)
        return await self.api.list_servers(context.current(), request)

    async def DeleteServer(
        self, request: compute_pb2.DeleteServerRequest, _: Ctx
    ) -> compute_pb2.DeleteServerResponse:
        ctx = context.current()
        await self.api.delete_server(ctx, request.id)
        return compute_pb2.DeleteServerResponse(request_id=ctx.request_id)

    async def ServerAction(
        self, request: compute_pb2.ServerActionRequest, _: Ctx
    ) -> compute_pb2.ServerActionResponse:
        ctx = context.current()
        await self.api.server_action(ctx, request.id, request.action, request.reboot_type)
        return compute_pb2.ServerActionResponse(request_id=ctx.request_id)

    async def ListInstanceActions(
        self, request: compute_pb2.ListInstanceActionsRequest, _: Ctx
    ) -> compute_pb2.ListInstanceActionsResponse:
        records = await self.api.list_instance_actions(context.current(), request.id)
        return compute_pb2.ListInstanceActionsResponse(actions=records)

    async def WatchServers(
        self, request: compute_pb2.WatchServersRequest, _: Ctx
    ) -> AsyncIterator[compute_pb2.ServerEvent]:
        _check_revision(request.from_revision)
        async for event in self.api.watch_servers(
            context.current(), request.from_revision, request.all_projects
        ):
            yield event

    async def ListFlavors(
        self, request: compute_pb2.ListFlavorsRequest, _: Ctx
    ) -> compute_pb2.ListFlavorsResponse:
        return compute_pb2.ListFlavorsResponse(
            flavors=await self.api.list_flavors(context.current(), request.is_public)
        )

    async def GetFlavor(self, request: compute_pb2.GetFlavorRequest, _: Ctx) -> t.Flavor:
        return await self.api.get_flavor(context.current(), request.id)

    async def CreateFlavor(self, request: compute_pb2.CreateFlavorRequest, _: Ctx) -> t.Flavor:
        return await self.api.create_flavor(context.current(), request.flavor)

    async def DeleteFlavor(
        self, request: compute_pb2.DeleteFlavorRequest, _: Ctx
    ) -> compute_pb2.DeleteFlavorResponse:
        await self.api.delete_flavor(context.current(), request.id)
        return compute_pb2.DeleteFlavorResponse()

    async def ListImages(
        self, request: compute_pb2.ListImagesRequest, _: Ctx
    ) -> compute_pb2.ListImagesResponse:
        return compute_pb2.ListImagesResponse(
            images=await self.api.list_images(context.current(), request.name)
        )

    async def GetImage(self, request: compute_pb2.GetImageRequest, _: Ctx) -> t.Image:
        return await self.api.get_image(context.current(), request.id)

    async def CreateImage(self, request: compute_pb2.CreateImageRequest, _: Ctx) -> t.Image:
        return await self.api.create_image(context.current(), request.image)

    async def ListHosts(
        self, request: compute_pb2.ListHostsRequest, _: Ctx
    ) -> compute_pb2.ListHostsResponse:
        return compute_pb2.ListHostsResponse(hosts=await self.api.list_hosts(context.current()))

    async def ListServices(
        self, request: compute_pb2.ListServicesRequest, _: Ctx
    ) -> compute_pb2.ListServicesResponse:
        return compute_pb2.ListServicesResponse(
            services=await self.api.list_services(context.current())
        )

    async def SetFlavorExtraSpecs(
        self, request: compute_pb2.SetFlavorExtraSpecsRequest, _: Ctx
    ) -> t.Flavor:
        return await self.api.set_flavor_extra_specs(
            context.current(), request.flavor_id, dict(request.extra_specs)
        )

    async def DeleteFlavorExtraSpec(
        self, request: compute_pb2.DeleteFlavorExtraSpecRequest, _: Ctx
    ) -> t.Flavor:
        return await self.api.delete_flavor_extra_spec(
            context.current(), request.flavor_id, request.key
        )

    async def ListFlavorAccess(
        self, request: compute_pb2.ListFlavorAccessRequest, _: Ctx
    ) -> compute_pb2.FlavorAccessList:
        access = await self.api.list_flavor_access(context.current(), request.flavor_id)
        return compute_pb2.FlavorAccessList(access=access)

    async def AddFlavorAccess(
        self, request: compute_pb2.FlavorAccessRequest, _: Ctx
    ) -> compute_pb2.FlavorAccessList:
        access = await self.api.add_flavor_access(
            context.current(), request.flavor_id, request.project_id
        )
        return compute_pb2.FlavorAccessList(access=access)

    async def RemoveFlavorAccess(
        self, request: compute_pb2.FlavorAccessRequest, _: Ctx
    ) -> compute_pb2.FlavorAccessList:
        access = await self.api.remove_flavor_access(
            context.current(), request.flavor_id, request.project_id
        )
        return compute_pb2.FlavorAccessList(access=access)

    async def CreateServerGroup(
        self, request: compute_pb2.CreateServerGroupRequest, _: Ctx
    ) -> t.ServerGroup:
        return await self.api.create_server_group(context.current(), request)

    async def ListServerGroups(
        self, request: compute_pb2.ListServerGroupsRequest, _: Ctx
    ) -> compute_pb2.ListServerGroupsResponse:
        groups = await self.api.list_server_groups(context.current(), request.all_projects)
        return compute_pb2.ListServerGroupsResponse(server_groups=groups)

    async def GetServerGroup(
        self, request: compute_pb2.GetServerGroupRequest, _: Ctx
    ) -> t.ServerGroup:
        return await self.api.get_server_group(context.current(), request.id)

    async def DeleteServerGroup(
        self, request: compute_pb2.DeleteServerGroupRequest, _: Ctx
    ) -> compute_pb2.DeleteServerGroupResponse:
        await self.api.delete_server_group(context.current(), request.id)
        return compute_pb2.DeleteServerGroupResponse()

    async def CreateAggregate(
        self, request: compute_pb2.CreateAggregateRequest, _: Ctx
    ) -> t.Aggregate:
        return await self.api.create_aggregate(
            context.current(), request.name, request.availability_zone
        )

    async def ListAggregates(
        self, request: compute_pb2.ListAggregatesRequest, _: Ctx
    ) -> compute_pb2.ListAggregatesResponse:
        aggregates = await self.api.list_aggregates(context.current())
        return compute_pb2.ListAggregatesResponse(aggregates=aggregates)

    async def GetAggregate(self, request: compute_pb2.GetAggregateRequest, _: Ctx) -> t.Aggregate:
        return await self.api.get_aggregate(context.current(), request.id)

    async def UpdateAggregate(
        self, request: compute_pb2.UpdateAggregateRequest, _: Ctx
    ) -> t.Aggregate:
        # The contract's "" keeps a field; removing a zone is SetAggregateMetadata's job.
        return await self.api.update_aggregate(
            context.current(),
            request.id,
            name=request.name or None,
            availability_zone=request.availability_zone or None,
        )

    async def DeleteAggregate(
        self, request: compute_pb2.DeleteAggregateRequest, _: Ctx
    ) -> compute_pb2.DeleteAggregateResponse:
        await self.api.delete_aggregate(context.current(), request.id)
        return compute_pb2.DeleteAggregateResponse()

    async def AddAggregateHost(
        self, request: compute_pb2.AggregateHostRequest, _: Ctx
    ) -> t.Aggregate:
        return await self.api.add_aggregate_host(context.current(), request.id, request.host)

    async def RemoveAggregateHost(
        self, request: compute_pb2.AggregateHostRequest, _: Ctx
    ) -> t.Aggregate:
        return await self.api.remove_aggregate_host(context.current(), request.id, request.host)

    async def SetAggregateMetadata(
        self, request: compute_pb2.SetAggregateMetadataRequest, _: Ctx
    ) -> t.Aggregate:
        metadata: dict[str, str | None] = {k: v or None for k, v in request.metadata.items()}
        return await self.api.set_aggregate_metadata(context.current(), request.id, metadata)

    async def ListAvailabilityZones(
        self, request: compute_pb2.ListAvailabilityZonesRequest, _: Ctx
    ) -> compute_pb2.ListAvailabilityZonesResponse:
        zones = await self.api.list_availability_zones(context.current(), request.detail)
        return compute_pb2.ListAvailabilityZonesResponse(zones=zones)

    async def ExplainPlacement(
        self, request: compute_pb2.CreateServersRequest, _: Ctx
    ) -> scheduler_pb2.ExplainResponse:
        return await self.api.explain_placement(context.current(), request)

    async def GetConsoleOutput(
        self, request: compute_pb2.GetConsoleOutputRequest, _: Ctx
    ) -> compute_pb2.GetConsoleOutputResponse:
        return await self.consoles.get_console_output(context.current(), request.id, request.length)

    async def CreateRemoteConsole(
        self, request: compute_pb2.CreateRemoteConsoleRequest, _: Ctx
    ) -> compute_pb2.RemoteConsole:
        return await self.consoles.create_remote_console(
            context.current(), request.id, request.protocol, request.type
        )

    async def GetQuotaSet(
        self, request: compute_pb2.GetQuotaSetRequest, _: Ctx
    ) -> compute_pb2.QuotaSetResponse:
        return await self.api.get_quota_set(context.current(), request.project_id)

    async def UpdateQuotaSet(
        self, request: compute_pb2.UpdateQuotaSetRequest, _: Ctx
    ) -> compute_pb2.QuotaSetResponse:
        return await self.api.update_quota_set(
            context.current(), request.project_id, dict(request.limits), request.force
        )

    async def DeleteQuotaSet(
        self, request: compute_pb2.DeleteQuotaSetRequest, _: Ctx
    ) -> compute_pb2.DeleteQuotaSetResponse:
        await self.api.delete_quota_set(context.current(), request.project_id)
        return compute_pb2.DeleteQuotaSetResponse()

    async def GetQuotaDefaults(
        self, request: compute_pb2.GetQuotaDefaultsRequest, _: Ctx
    ) -> compute_pb2.QuotaSetResponse:
        return await self.api.get_quota_defaults(context.current(), request.project_id)

    async def GetLimits(
        self, request: compute_pb2.GetLimitsRequest, _: Ctx
    ) -> compute_pb2.LimitsResponse:
        return await self.api.get_limits(context.current(), request.project_id)
