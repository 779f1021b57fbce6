"""A recording stand-in for the service layer the gateway calls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.runtime.context import RequestContext
from stratus.v1 import compute_pb2, scheduler_pb2, types_pb2

SERVER_ID = "9a1f3c2e-5b7d-4e0a-8c6f-1d2e3f4a5b6c"


def as_admin(request: Any) -> RequestContext:
    """The gateway's context factory for these tests: an admin, keeping the client's
    request id (the api's real factory reads the caller's token instead)."""
    from services.api.rest.app import request_context

    return RequestContext(request_id=request_context(request).request_id)


def make_instance(**fields: Any) -> types_pb2.Instance:
    defaults: dict[str, Any] = dict(
        id=SERVER_ID,
        name="web-1",
        project_id="demo",
        user_id="alice",
        flavor=types_pb2.Flavor(id="1"),
        image_id="img-1",
        vm_state=types_pb2.VM_STATE_ACTIVE,
        power_state=types_pb2.POWER_STATE_RUNNING,
        host="node-1",
    )
    instance = types_pb2.Instance(**{**defaults, **fields})
    if "created_at" not in fields:
        instance.created_at.FromSeconds(1_700_000_000)  # 2023-11-14T22:13:20Z
    return instance


class FakeComputeApi:
    """Answers with canned messages and records every call as (method, ctx, args)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, RequestContext, tuple[Any, ...]]] = []
        self.servers: list[types_pb2.Instance] = [make_instance()]
        self.next_marker = ""
        self.actions: list[types_pb2.InstanceAction] = []
        self.flavors: list[types_pb2.Flavor] = []
        self.flavor_access: dict[str, list[str]] = {}  # flavor id -> projects with access
        self.images: list[types_pb2.Image] = []
        self.hosts: list[compute_pb2.HostView] = []
        self.services: list[compute_pb2.ServiceView] = []
        self.error: BaseException | None = None
        self.groups: list[types_pb2.ServerGroup] = []
        self.aggregates: list[types_pb2.Aggregate] = []
        self.zones: list[compute_pb2.AvailabilityZone] = []
        self.explanation = scheduler_pb2.ExplainResponse()
        self.quota_limits: dict[str, int] = {"instances": 10, "cores": 20, "ram": 51200}
        self.quota_in_use: dict[str, int] = {"instances": 2, "cores": 4, "ram": 1024}

    def _record(self, method: str, ctx: RequestContext, *args: Any) -> None:
        self.calls.append((method, ctx, args))
        if self.error is not None:
            raise self.error

    def last(self, method: str) -> tuple[Any, ...]:
        """The arguments (after the context) of the latest call to `method`."""
        for name, _ctx, args in reversed(self.calls):
            if name == method:
                return args
        raise AssertionError(f"{method} was not called; calls: {[c[0] for c in self.calls]}")

    async def create_servers(
        self, ctx: RequestContext, req: compute_pb2.CreateServersRequest
    ) -> compute_pb2.CreateServersResponse:
        self._record("create_servers", ctx, req)
        return compute_pb2.CreateServersResponse(reservation_id="r-abc", servers=self.servers)

    async def get_server(self, ctx: RequestContext, server_id: str) -> types_pb2.Instance:
        self._record("get_server", ctx, server_id)
        return self.servers[0]

    async def list_servers(
        self, ctx: RequestContext, req: compute_pb2.ListServersRequest
    ) -> compute_pb2.ListServersResponse:
        self._record("list_servers", ctx, req)
        return compute_pb2.ListServersResponse(servers=self.servers, next_marker=self.next_marker)

    async def delete_server(self, ctx: RequestContext, server_id: str) -> None:
        self._record("delete_server", ctx, server_id)

    async def update_server(
        self, ctx: RequestContext, server_id: str, **changes: str | None
    ) -> types_pb2.Instance:
        self._record("update_server", ctx, server_id, changes)
        for key, value in changes.items():
            if value is not None:
                setattr(self.servers[0], key, value)
        return self.servers[0]

    async def change_server_tags(
        self,
        ctx: RequestContext,
        server_id: str,
        *,
        replace: list[str] | None = None,
        add: tuple[str, ...] = (),
        remove: tuple[str, ...] = (),
    ) -> tuple[types_pb2.Instance, bool]:
        self._record("change_server_tags", ctx, server_id, replace, add, remove)
        server = self.servers[0]
        before = list(server.tags)
        base = before if replace is None else replace
        tags = list(dict.fromkeys(t for t in [*base, *add] if t not in remove))
        del server.tags[:]
        server.tags.extend(tags)
        return server, tags != before

    async def server_action(
        self, ctx: RequestContext, server_id: str, action: str, reboot_type: str = ""
    ) -> None:
        self._record("server_action", ctx, server_id, action, reboot_type)

    async def list_instance_actions(
        self, ctx: RequestContext, server_id: str
    ) -> list[types_pb2.InstanceAction]:
        self._record("list_instance_actions", ctx, server_id)
        return self.actions

    async def list_flavors(
        self, ctx: RequestContext, is_public: str = ""
    ) -> list[types_pb2.Flavor]:
        self._record("list_flavors", ctx, is_public)
        return self.flavors

    async def get_flavor(self, ctx: RequestContext, flavor_ref: str) -> types_pb2.Flavor:
        self._record("get_flavor", ctx, flavor_ref)
        return self.flavors[0]

    async def create_flavor(
        self, ctx: RequestContext, flavor: types_pb2.Flavor
    ) -> types_pb2.Flavor:
        self._record("create_flavor", ctx, flavor)
        created = types_pb2.Flavor()
        created.CopyFrom(flavor)
        created.id = created.id or "generated-id"
        return created

    async def delete_flavor(self, ctx: RequestContext, flavor_id: str) -> None:
        self._record("delete_flavor", ctx, flavor_id)

    async def list_images(self, ctx: RequestContext, name: str = "") -> list[types_pb2.Image]:
        self._record("list_images", ctx, name)
        return self.images

    async def get_image(self, ctx: RequestContext, image_id: str) -> types_pb2.Image:
        self._record("get_image", ctx, image_id)
        return self.images[0]

    async def list_hosts(self, ctx: RequestContext) -> list[compute_pb2.HostView]:
        self._record("list_hosts", ctx)
        return self.hosts

    async def list_services(self, ctx: RequestContext) -> list[compute_pb2.ServiceView]:
        self._record("list_services", ctx)
        return self.services

    async def set_flavor_extra_specs(
        self, ctx: RequestContext, flavor_id: str, extra_specs: dict[str, str]
    ) -> types_pb2.Flavor:
        self._record("set_flavor_extra_specs", ctx, flavor_id, extra_specs)
        return types_pb2.Flavor(id=flavor_id, extra_specs=extra_specs)

    async def delete_flavor_extra_spec(
        self, ctx: RequestContext, flavor_id: str, key: str
    ) -> types_pb2.Flavor:
        self._record("delete_flavor_extra_spec", ctx, flavor_id, key)
        return types_pb2.Flavor(id=flavor_id)

    def _access_of(self, flavor_id: str) -> list[compute_pb2.FlavorAccess]:
        return [
            compute_pb2.FlavorAccess(flavor_id=flavor_id, project_id=project)
            for project in self.flavor_access.get(flavor_id, [])
        ]

    async def list_flavor_access(
        self, ctx: RequestContext, flavor_id: str
    ) -> list[compute_pb2.FlavorAccess]:
        self._record("list_flavor_access", ctx, flavor_id)
        return self._access_of(flavor_id)

    async def add_flavor_access(
        self, ctx: RequestContext, flavor_id: str, project_id: str
    ) -> list[compute_pb2.FlavorAccess]:
        self._record("add_flavor_access", ctx, flavor_id, project_id)
        self.flavor_access.setdefault(flavor_id, []).append(project_id)
        return self._access_of(flavor_id)

    async def remove_flavor_access(
        self, ctx: RequestContext, flavor_id: str, project_id: str
    ) -> list[compute_pb2.FlavorAccess]:
        self._record("remove_flavor_access", ctx, flavor_id, project_id)
        self.flavor_access.get(flavor_id, []).remove(project_id)
        return self._access_of(flavor_id)

    async def create_server_group(
        self, ctx: RequestContext, request: compute_pb2.CreateServerGroupRequest
    ) -> types_pb2.ServerGroup:
        self._record("create_server_group", ctx, request)
        return types_pb2.ServerGroup(
            id="group-1",
            name=request.name,
            policy=request.policy,
            rules=request.rules,
            project_id=ctx.project_id,
            user_id=ctx.user_id,
        )

    async def list_server_groups(
        self, ctx: RequestContext, all_projects: bool = False
    ) -> list[types_pb2.ServerGroup]:
        self._record("list_server_groups", ctx, all_projects)
        return self.groups

    async def get_server_group(self, ctx: RequestContext, group_id: str) -> types_pb2.ServerGroup:
        self._record("get_server_group", ctx, group_id)
        return self.groups[0]

    async def delete_server_group(self, ctx: RequestContext, group_id: str) -> None:
        self._record("delete_server_group", ctx, group_id)

    async def create_aggregate(
        self, ctx: RequestContext, name: str, availability_zone: str = ""
    ) -> types_pb2.Aggregate:
        self._record("create_aggregate", ctx, name, availability_zone)
        return types_pb2.Aggregate(id="agg-1", name=name, availability_zone=availability_zone)

    async def list_aggregates(self, ctx: RequestContext) -> list[types_pb2.Aggregate]:
        self._record("list_aggregates", ctx)
        return self.aggregates

    async def get_aggregate(self, ctx: RequestContext, aggregate_id: str) -> types_pb2.Aggregate:
        self._record("get_aggregate", ctx, aggregate_id)
        return self.aggregates[0]

    async def update_aggregate(
        self,
        ctx: RequestContext,
        aggregate_id: str,
        *,
        name: str | None = None,
        availability_zone: str | None = None,
    ) -> types_pb2.Aggregate:
        self._record("update_aggregate", ctx, aggregate_id, name, availability_zone)
        return self.aggregates[0]

    async def delete_aggregate(self, ctx: RequestContext, aggregate_id: str) -> None:
        self._record("delete_aggregate", ctx, aggregate_id)

    async def add_aggregate_host(
        self, ctx: RequestContext, aggregate_id: str, host: str
    ) -> types_pb2.Aggregate:
        self._record("add_aggregate_host", ctx, aggregate_id, host)
        return self.aggregates[0]

    async def remove_aggregate_host(
        self, ctx: RequestContext, aggregate_id: str, host: str
    ) -> types_pb2.Aggregate:
        self._record("remove_aggregate_host", ctx, aggregate_id, host)
        return self.aggregates[0]

    async def set_aggregate_metadata(
        self, ctx: RequestContext, aggregate_id: str, metadata: dict[str, str | None]
    ) -> types_pb2.Aggregate:
        self._record("set_aggregate_metadata", ctx, aggregate_id, metadata)
        return self.aggregates[0]

    async def list_availability_zones(
        self, ctx: RequestContext, detail: bool = False
    ) -> list[compute_pb2.AvailabilityZone]:
        self._record("list_availability_zones", ctx, detail)
        return self.zones

    async def explain_placement(
        self, ctx: RequestContext, request: compute_pb2.CreateServersRequest
    ) -> scheduler_pb2.ExplainResponse:
        self._record("explain_placement", ctx, request)
        return self.explanation

    def _quota(self, project_id: str) -> compute_pb2.QuotaSetResponse:
        return compute_pb2.QuotaSetResponse(
            project_id=project_id,
            limits=self.quota_limits,
            detail={
                name: compute_pb2.QuotaDetail(limit=limit, in_use=self.quota_in_use.get(name, 0))
                for name, limit in self.quota_limits.items()
            },
        )

    async def get_quota_set(
        self, ctx: RequestContext, project_id: str = ""
    ) -> compute_pb2.QuotaSetResponse:
        self._record("get_quota_set", ctx, project_id)
        return self._quota(project_id)

    async def get_quota_defaults(
        self, ctx: RequestContext, project_id: str = ""
    ) -> compute_pb2.QuotaSetResponse:
        self._record("get_quota_defaults", ctx, project_id)
        return self._quota(project_id)

    async def update_quota_set(
        self,
        ctx: RequestContext,
        project_id: str,
        limits: Mapping[str, int],
        force: bool = False,
    ) -> compute_pb2.QuotaSetResponse:
        self._record("update_quota_set", ctx, project_id, dict(limits), force)
        self.quota_limits.update(limits)
        return self._quota(project_id)

    async def delete_quota_set(self, ctx: RequestContext, project_id: str) -> None:
        self._record("delete_quota_set", ctx, project_id)

    async def get_limits(
        self, ctx: RequestContext, project_id: str = ""
    ) -> compute_pb2.LimitsResponse:
        self._record("get_limits", ctx, project_id)
        return compute_pb2.LimitsResponse(
            project_id=project_id or ctx.project_id,
            absolute={"maxTotalInstances": 10, "totalInstancesUsed": 2},
        )
