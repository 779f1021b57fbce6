"""The api's service layer: every public operation, shared by the gRPC and REST front ends.

Each operation first checks the policy (services.api.policy: one entry per operation, so
gRPC and REST are guarded alike), then checks the request, writes the intended change to
etcd in one transaction (the instance or its new task_state, a conductor task, the action
record, the quota claim), then hands the task to a conductor and answers at once. Reads
come straight from etcd.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote

import grpc
import structlog

from services.api import policy, quotas
from services.api.aggregates import AggregateOps
from services.api.flavor_access import FlavorAccessOps, parse_is_public
from services.api.server_filters import ServerFilter
from services.api.server_groups import ServerGroupOps
from services.api.validation import (
    MAX_METADATA_ITEMS,
    MAX_NAME_LENGTH,
    check_description,
    check_flavor,
    check_hostname,
    check_json_document,
    check_metadata,
    check_name,
    check_tag,
    check_tags,
    check_user_data,
    hostname_for,
)
from services.conductor.power_actions import ACTIONS
from services.runtime import context, tracing
from services.runtime.context import RequestContext
from services.runtime.errors import (
    AlreadyExists,
    Conflict,
    InvalidArgument,
    NotFound,
    QuotaExceeded,
    Unavailable,
    from_rpc_error,
)
from services.runtime.registration import Replicas
from services.state import actions, keys, placement
from services.state import etcd as etcd_ops
from services.state import quotas as usage_records
from services.state.etcd import CompactedError
from services.state.repository import MAX_CAS_ATTEMPTS, Versioned
from services.state.store import Store
from stratus.v1 import (
    compute_pb2,
    conductor_pb2,
    conductor_pb2_grpc,
    scheduler_pb2,
    scheduler_pb2_grpc,
)
from stratus.v1 import types_pb2 as t

log = structlog.get_logger(__name__)

__all__ = [
    "MAX_METADATA_ITEMS",
    "MAX_NAME_LENGTH",
    "ComputeApi",
    "check_metadata",
    "check_name",
    "visible",
]

ACTION_NAMES = ("stop", "start", "reboot", "pause", "unpause", "suspend", "resume")
# How many servers of one boot request one transaction records (etcd allows 128 writes
# per transaction; each server takes 4: instance, build task, action record, quota charge).
SERVERS_PER_TRANSACTION = 25
# Nova's pattern for extra spec keys; values are strings of at most 255 characters.
EXTRA_SPEC_KEY = re.compile(r"^[a-zA-Z0-9-_:. ]{1,255}$")


@dataclass(frozen=True)
class BootPlan:
    """A boot request checked and resolved: what every server of it is made from."""

    name: str
    min_count: int
    max_count: int
    metadata: dict[str, str]
    flavor: t.Flavor
    image: t.Image
    availability_zone: str
    hints: t.SchedulerHints
    group: Versioned[t.ServerGroup] | None
    description: str = ""
    tags: tuple[str, ...] = ()
    hostname: str = ""  # "" = derived from each server's name
    without_network: bool = False
    user_data: str = ""


def visible(ctx: RequestContext, instance: t.Instance) -> bool:
    """A user sees only their project's servers; a global reader (admin, it_security) all."""
    return instance.project_id == ctx.project_id or policy.allows(
        ctx, "compute:servers:all_projects"
    )


def server_action_rule(action: str) -> str:
    """The policy entry an action is checked against; InvalidArgument for no such action."""
    rule = policy.SERVER_ACTION_RULES.get(action)
    if rule is None or action not in ACTION_NAMES:
        raise InvalidArgument(
            f"Unknown action {action!r}; expected one of: {', '.join(ACTION_NAMES)}."
        )
    return rule


def _flavor_name_key(name: str) -> str:
    return keys.FLAVOR_NAMES + quote(name, safe="")


def _sort_key(instance: t.Instance) -> tuple[int, int, str]:
    # Nova lists newest first (created_at desc, then id desc).
    return (-instance.created_at.seconds, -instance.created_at.nanos, instance.id)


class ComputeApi(AggregateOps, ServerGroupOps, FlavorAccessOps):
    """Every public operation; aggregates, server groups and flavor access come from their
    own modules."""

    def __init__(
        self,
        store: Store,
        *,
        max_servers_per_request: int = 100,
        conductor_timeout_seconds: float = 5.0,
        policy_file: str = "",
    ) -> None:
        """`policy_file`: the operator's overrides of the policy table (JSON or YAML)."""
        if policy_file:
            policy.configure(policy_file)
        self.store = store
        self.max_servers_per_request = max_servers_per_request
        self.conductor_timeout_seconds = conductor_timeout_seconds
        self.conductors = Replicas(store.etcd, "stratus-conductor")
        self.schedulers = Replicas(store.etcd, "stratus-scheduler")
        self._submissions: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        if self._submissions:
            await asyncio.wait(self._submissions, timeout=self.conductor_timeout_seconds)
        await self.conductors.close()
        await self.schedulers.close()

    # Handing work to the conductor (the durable rpc.cast).

    def _submit(self, ctx: RequestContext, task_ids: list[str]) -> None:
        """Tell a conductor about new tasks without waiting; the sweep covers a lost call."""
        with context.bound(ctx):  # the call carries this request's id
            task = asyncio.create_task(self._submit_now(task_ids))
        self._submissions.add(task)
        task.add_done_callback(self._submissions.discard)

    async def _submit_now(self, task_ids: list[str]) -> None:
        try:
            stub = conductor_pb2_grpc.ConductorStub(await self.conductors.channel())
            await asyncio.gather(
                *(
                    stub.SubmitTask(
                        conductor_pb2.SubmitTaskRequest(task_id=task_id),
                        timeout=self.conductor_timeout_seconds,
                    )
                    for task_id in task_ids
                )
            )
        except (grpc.aio.AioRpcError, Unavailable) as exc:
            log.warning(
                "conductor not told; its sweep will take the task",
                tasks=len(task_ids),
                error=str(exc),
            )

    @staticmethod
    def _task(
        ctx: RequestContext,
        kind: t.Task.Kind,
        instance_id: str,
        action_record_id: str,
        action: str = "",
        reboot_type: str = "",
    ) -> t.Task:
        return t.Task(
            id=str(uuid.uuid4()),
            kind=kind,
            instance_id=instance_id,
            action=action,
            reboot_type=reboot_type,
            context=ctx.to_proto(),
            created_at=actions.now(),
            action_record_id=action_record_id,
            traceparent=tracing.current_traceparent(),
        )

    # Servers.

    async def _flavor_by_ref(self, ctx: RequestContext, ref: str) -> t.Flavor | None:
        """The flavor `ref` names (its id, else its name) if the caller may use it: a
        non-public flavor the caller's project has no access to is as good as absent."""
        found = await self.store.flavors.get(ref)
        if found is not None:
            return found.message if await self._may_use_flavor(ctx, found.message) else None
        flavors, _ = await self.store.flavors.list()
        for flavor in (f.message for f in flavors if f.message.name == ref):
            if await self._may_use_flavor(ctx, flavor):
                return flavor
        return None

    async def _image_by_ref(self, ref: str) -> t.Image | None:
        found = await self.store.images.get(ref)
        if found is not None:
            return found.message
        images, _ = await self.store.images.list()
        return next((i.message for i in images if i.message.name == ref), None)

    async def _boot_plan(
        self, ctx: RequestContext, request: compute_pb2.CreateServersRequest
    ) -> BootPlan:
        """Check a boot request and resolve its flavor, image, zone, hints and group."""
        name = check_name("Server", request.name)
        min_count = request.min_count or 1
        max_count = request.max_count or min_count
        if min_count < 1 or max_count < min_count:
            raise InvalidArgument("min_count must be at least 1 and not above max_count.")
        if max_count > self.max_servers_per_request:
            raise InvalidArgument(
                f"max_count may be at most {self.max_servers_per_request} per request."
            )
        metadata = dict(request.metadata)
        check_metadata(metadata, max_items=None)  # the project's metadata_items quota
        if not request.flavor_ref:
            raise InvalidArgument("flavorRef is required.")
        flavor = await self._flavor_by_ref(ctx, request.flavor_ref)
        if flavor is None:
            raise InvalidArgument(f"Flavor {request.flavor_ref} could not be found.")
        if not request.image_ref:
            raise InvalidArgument("imageRef is required.")
        image = await self._image_by_ref(request.image_ref)
        if image is None:
            raise InvalidArgument(f"Image {request.image_ref} could not be found.")
        if image.status and image.status != "active":
            raise InvalidArgument(f"Image {image.id} is not active.")
        if flavor.ram_mb < image.min_ram_mb:
            raise InvalidArgument("Flavor's memory is too small for requested image.")
        if flavor.disk_gb and flavor.disk_gb < image.min_disk_gb:
            raise InvalidArgument("Flavor's disk is too small for requested image.")
        zone = await self._check_zone(ctx, request.availability_zone)
        group = await self._check_hints(ctx, request.hints)
        if request.hostname and max_count > 1:
            raise InvalidArgument("A hostname can only be given when booting one server.")
        return BootPlan(
            name,
            min_count,
            max_count,
            metadata,
            flavor,
            image,
            zone,
            request.hints,
            group,
            description=check_description(request.description),
            tags=tuple(check_tags(request.tags)),
            hostname=check_hostname(request.hostname) if request.hostname else "",
            without_network=request.without_network,
            user_data=check_user_data(request.user_data) if request.user_data else "",
        )

    async def _check_zone(self, ctx: RequestContext, zone: str) -> str:
        """The requested zone, which must have an enabled host.

        Nova's "zone:host" (an admin forcing a host) is refused: the instance has no field
        to carry a forced host to the conductor yet.
        """
        if not zone:
            return ""
        if ":" in zone:
            policy.enforce(ctx, "compute:create_server:forced_host")
            raise InvalidArgument(
                "Forcing a host with availability_zone 'zone:host' is not supported yet."
            )
        if zone not in await self._available_zones():
            raise InvalidArgument("The requested availability zone is not available")
        return zone

    async def _check_hints(
        self, ctx: RequestContext, hints: t.SchedulerHints
    ) -> Versioned[t.ServerGroup] | None:
        """Check each hint; the server group the `group` hint names, if any.

        As in Nova, `same_host` and `different_host` may name servers that do not exist:
        the scheduler finds them on no host (same_host then places nowhere).
        """
        if hints.build_near_host_ip:
            try:
                ipaddress.IPv4Address(hints.build_near_host_ip)
            except ValueError:
                raise InvalidArgument(
                    f"Invalid scheduler hint build_near_host_ip: "
                    f"{hints.build_near_host_ip!r} is not an IPv4 address."
                ) from None
        if hints.cidr:
            # A prefix length or, as Nova's netaddr reads it, a netmask (or host mask).
            try:
                ipaddress.IPv4Network("0.0.0.0" + hints.cidr)
            except ValueError:
                raise InvalidArgument(
                    f"Invalid scheduler hint cidr: {hints.cidr!r} is not a prefix like '/24' "
                    "or a netmask like '/255.255.255.0'."
                ) from None
        if hints.query:
            check_json_document("scheduler hint query", hints.query)
        if not hints.group:
            return None
        try:
            return await self._visible_group(ctx, hints.group)
        except NotFound:
            raise InvalidArgument(
                f"Invalid scheduler hint group: server group {hints.group} could not be found."
            ) from None

    async def create_servers(
        self, ctx: RequestContext, request: compute_pb2.CreateServersRequest
    ) -> compute_pb2.CreateServersResponse:
        """Record the servers and their build tasks; as many as the quota allows, at least
        min_count (Nova's behaviour), else QuotaExceeded and nothing is created."""
        policy.enforce(ctx, "compute:create_server")
        plan = await self._boot_plan(ctx, request)
        limits = await self._project_limits(ctx.project_id)
        metadata_limit = limits["metadata_items"]
        if metadata_limit != quotas.UNLIMITED and len(plan.metadata) > metadata_limit:
            raise QuotaExceeded(f"Maximum number of metadata items exceeds {metadata_limit}")
        reservation_id = "r-" + secrets.token_hex(4)
        created, task_ids, group = await self._record_servers(ctx, plan, reservation_id, limits)
        self._submit(ctx, task_ids)
        log.info(
            "servers requested",
            count=len(created),
            reservation_id=reservation_id,
            flavor=plan.flavor.id,
            image=plan.image.id,
            availability_zone=plan.availability_zone,
            server_group=group.id if group is not None else "",
        )
        return compute_pb2.CreateServersResponse(reservation_id=reservation_id, servers=created)

    def _new_server(
        self, ctx: RequestContext, plan: BootPlan, reservation_id: str, index: int
    ) -> tuple[t.Instance, t.Task, str, t.InstanceAction]:
        """One server of a boot request, its build task and its action record."""
        instance_id = str(uuid.uuid4())
        name = plan.name if plan.max_count == 1 else f"{plan.name}-{index + 1}"
        instance = t.Instance(
            id=instance_id,
            name=name,
            project_id=ctx.project_id,
            user_id=ctx.user_id,
            flavor=plan.flavor,
            image_id=plan.image.id,
            vm_state=t.VM_STATE_BUILDING,
            task_state=t.TASK_STATE_SCHEDULING,
            power_state=t.POWER_STATE_NOSTATE,
            metadata=plan.metadata,
            reservation_id=reservation_id,
            launch_index=index,
            created_at=actions.now(),
            updated_at=actions.now(),
            availability_zone=plan.availability_zone,
            scheduler_hints=plan.hints,
            server_group_id=plan.group.id if plan.group is not None else "",
            description=plan.description,
            tags=plan.tags,
            hostname=plan.hostname or hostname_for(name, instance_id),
            without_network=plan.without_network,
            user_data=plan.user_data,
        )
        record_id, record = actions.started(ctx, instance.id, "create")
        task = self._task(ctx, t.Task.KIND_BUILD, instance.id, record_id)
        return instance, task, record_id, record

    async def _record_servers(
        self,
        ctx: RequestContext,
        plan: BootPlan,
        reservation_id: str,
        limits: dict[str, int],
    ) -> tuple[list[t.Instance], list[str], Versioned[t.ServerGroup] | None]:
        """Write the servers with their quota claim: the servers, their tasks and action
        records, their charges and the project's new usage in one transaction (up to
        SERVERS_PER_TRANSACTION servers each).

        Each transaction compares the usage's revision (and the group's, when booting into
        one) with the one the quota check read; losing a race means reading again and
        checking again, so no two requests can both pass a quota. The servers written,
        their build task ids and the group as last written.
        """
        project = ctx.project_id
        flavor = plan.flavor
        per_server = {"instances": 1, "cores": flavor.vcpus, "ram": flavor.ram_mb}
        members_limit = limits["server_group_members"]
        group = plan.group
        created: list[t.Instance] = []
        task_ids: list[str] = []
        lost_races = 0
        while len(created) < plan.max_count:
            usage = await usage_records.usage_of(self.store, project)
            in_use = dict(usage.message.in_use)
            wanted = plan.max_count - len(created)
            needed = max(0, plan.min_count - len(created))
            fit = quotas.servers_that_fit(limits, in_use, per_server, wanted)
            room = wanted
            if group is not None and members_limit != quotas.UNLIMITED:
                room = max(0, members_limit - len(group.message.members))
            if min(fit, room) < needed:
                await self._undo_servers(ctx, created)
                if fit < needed:
                    raise quotas.over_quota(
                        limits, in_use, per_server, plan.min_count, plan.max_count
                    )
                raise QuotaExceeded("Quota exceeded, too many servers in group")
            count = min(fit, room, SERVERS_PER_TRANSACTION)
            if count == 0:
                break  # at least min_count are written: as many as fit (Nova's behaviour)
            batch = [
                self._new_server(ctx, plan, reservation_id, len(created) + i) for i in range(count)
            ]
            compare = [self.store.quota_usage.unchanged(project, usage.mod_revision)]
            writes = []
            amounts = {resource: amount * count for resource, amount in per_server.items()}
            writes.append(
                self.store.quota_usage.put_op(project, usage_records.added(usage.message, amounts))
            )
            for instance, task, record_id, record in batch:
                compare.append(self.store.instances.absent(instance.id))
                writes += [
                    self.store.instances.put_op(instance.id, instance),
                    self.store.tasks.put_op(task.id, task),
                    self.store.actions.put_op(record_id, record),
                    self.store.quota_charges.put_op(instance.id, usage_records.charge_of(instance)),
                ]
            joined: t.ServerGroup | None = None
            if group is not None:
                joined = t.ServerGroup()
                joined.CopyFrom(group.message)
                joined.members.extend(instance.id for instance, *_ in batch)
                compare.append(self.store.server_groups.unchanged(group.id, group.mod_revision))
                writes.append(self.store.server_groups.put_op(group.id, joined))
            result = await self.store.etcd.txn(compare, writes)
            if result.succeeded:
                created += [instance for instance, *_ in batch]
                task_ids += [task.id for _, task, *_ in batch]
                if group is not None and joined is not None:
                    group = Versioned(group.id, joined, result.revision)
                continue
            lost_races += 1
            if lost_races >= MAX_CAS_ATTEMPTS:
                await self._undo_servers(ctx, created)
                raise Unavailable("could not record the servers; try again")
            if group is not None:
                group_id = group.id
                group = await self.store.server_groups.get(group_id)
                if group is None:
                    await self._undo_servers(ctx, created)
                    raise InvalidArgument(
                        f"Server group {group_id} was deleted during the request."
                    )
        return created, task_ids, group

    async def _undo_servers(self, ctx: RequestContext, created: list[t.Instance]) -> None:
        """Delete the servers a boot wrote before it had to give up (a concurrent request
        took the quota it needed between two of its transactions); the delete flow gives
        their quota back."""
        for instance in created:
            await self._delete(ctx, instance.id)

    async def explain_placement(
        self, ctx: RequestContext, request: compute_pb2.CreateServersRequest
    ) -> scheduler_pb2.ExplainResponse:
        """How a live scheduler would place the first server of this boot request.

        The request is checked exactly as a boot; nothing is written and nothing claimed.
        """
        policy.enforce(ctx, "compute:explain_placement")
        plan = await self._boot_plan(ctx, request)
        probe = t.Instance(
            id=f"explain-{uuid.uuid4()}",
            name=plan.name,
            project_id=ctx.project_id,
            user_id=ctx.user_id,
            flavor=plan.flavor,
            image_id=plan.image.id,
            availability_zone=plan.availability_zone,
            scheduler_hints=plan.hints,
            server_group_id=plan.group.id if plan.group is not None else "",
        )
        spec = await placement.placement_request(self.store, probe, plan.flavor, plan.image)
        spec.num_alternates = 0
        stub = scheduler_pb2_grpc.SchedulerStub(await self.schedulers.channel())
        try:
            response: scheduler_pb2.ExplainResponse = await stub.Explain(
                spec, timeout=self.conductor_timeout_seconds
            )
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc) from exc
        return response

    async def _visible_server(self, ctx: RequestContext, server_id: str) -> Versioned[t.Instance]:
        found = await self.store.instances.get(server_id)
        if found is None or not visible(ctx, found.message):
            raise NotFound(f"Instance {server_id} could not be found.")
        return found

    async def get_server(self, ctx: RequestContext, server_id: str) -> t.Instance:
        policy.enforce(ctx, "compute:get_server")
        return (await self._visible_server(ctx, server_id)).message

    async def update_server(
        self,
        ctx: RequestContext,
        server_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        hostname: str | None = None,
    ) -> t.Instance:
        """Rename a server, or set its description or hostname (None: leave as it is;
        an empty description clears it). The server as updated."""
        policy.enforce(ctx, "compute:update_server")
        await self._visible_server(ctx, server_id)
        if name is not None:
            check_name("Server", name)
        if description is not None:
            check_description(description)
        if hostname is not None:
            check_hostname(hostname)

        def apply(instance: t.Instance) -> None:
            if name is not None:
                instance.name = name
            if description is not None:
                instance.description = description
            if hostname is not None:
                instance.hostname = hostname
            instance.updated_at.CopyFrom(actions.now())

        return (await self.store.instances.update(server_id, apply)).message

    async def change_server_tags(
        self,
        ctx: RequestContext,
        server_id: str,
        *,
        replace: list[str] | None = None,
        add: tuple[str, ...] = (),
        remove: tuple[str, ...] = (),
    ) -> tuple[t.Instance, bool]:
        """Replace the server's tags, or add and remove some (a set, kept in the order
        given). The server as updated, and whether its tags changed."""
        policy.enforce(ctx, "compute:set_server_tags")
        await self._visible_server(ctx, server_id)
        for tag in (*(replace or ()), *add, *remove):
            check_tag(tag)
        changed = False

        def apply(instance: t.Instance) -> None:
            nonlocal changed
            base = list(instance.tags) if replace is None else replace
            tags = check_tags([tag for tag in [*base, *add] if tag not in remove])
            changed = tags != list(instance.tags)
            del instance.tags[:]
            instance.tags.extend(tags)
            if changed:
                instance.updated_at.CopyFrom(actions.now())

        updated = (await self.store.instances.update(server_id, apply)).message
        return updated, changed

    async def list_servers(
        self, ctx: RequestContext, request: compute_pb2.ListServersRequest
    ) -> compute_pb2.ListServersResponse:
        policy.enforce(ctx, "compute:list_servers")
        selected = ServerFilter.of(ctx, request)
        found, _ = await self.store.instances.list()
        servers = [v.message for v in found if selected.matches(ctx, v.message)]
        servers.sort(key=_sort_key)
        if request.marker:
            ids = [s.id for s in servers]
            if request.marker not in ids:
                raise InvalidArgument(f"marker [{request.marker}] not found")
            servers = servers[ids.index(request.marker) + 1 :]
        next_marker = ""
        if request.limit and len(servers) > request.limit:
            servers = servers[: request.limit]
            next_marker = servers[-1].id
        return compute_pb2.ListServersResponse(servers=servers, next_marker=next_marker)

    async def _begin(
        self,
        ctx: RequestContext,
        current: Versioned[t.Instance],
        task_state: t.TaskState,
        kind: t.Task.Kind,
        action: str,
        reboot_type: str = "",
    ) -> str | None:
        """Record, in one transaction, the new task_state, the conductor task and the action.

        The id of the task, or None if the server changed since it was read.
        """
        updated = t.Instance()
        updated.CopyFrom(current.message)
        updated.task_state = task_state
        updated.updated_at.CopyFrom(actions.now())
        record_id, record = actions.started(ctx, current.id, action)
        task_action = "" if kind == t.Task.KIND_DELETE else action
        task = self._task(ctx, kind, current.id, record_id, task_action, reboot_type)
        result = await self.store.etcd.txn(
            [self.store.instances.unchanged(current.id, current.mod_revision)],
            [
                self.store.instances.put_op(current.id, updated),
                self.store.tasks.put_op(task.id, task),
                self.store.actions.put_op(record_id, record),
            ],
        )
        return task.id if result.succeeded else None

    async def delete_server(self, ctx: RequestContext, server_id: str) -> None:
        policy.enforce(ctx, "compute:delete_server")
        await self._visible_server(ctx, server_id)
        await self._delete(ctx, server_id)

    async def _delete(self, ctx: RequestContext, server_id: str) -> None:
        """Hand the server to the delete flow (unless it is there already or gone)."""
        for _ in range(MAX_CAS_ATTEMPTS):
            current = await self.store.instances.get(server_id)
            if current is None or current.message.task_state == t.TASK_STATE_DELETING:
                return  # already being deleted: deleting again changes nothing
            task_id = await self._begin(
                ctx, current, t.TASK_STATE_DELETING, t.Task.KIND_DELETE, "delete"
            )
            if task_id is not None:
                self._submit(ctx, [task_id])
                return
        raise Unavailable(f"Instance {server_id} is changing too fast; try again.")

    async def server_action(
        self, ctx: RequestContext, server_id: str, action: str, reboot_type: str = ""
    ) -> None:
        policy.enforce(ctx, server_action_rule(action))
        reboot_type = reboot_type.upper()
        if action == "reboot" and reboot_type not in ("SOFT", "HARD"):
            raise InvalidArgument("Reboot type must be SOFT or HARD.")
        spec = ACTIONS["reboot_hard" if action == "reboot" and reboot_type == "HARD" else action]
        current = await self._visible_server(ctx, server_id)
        instance = current.message
        if instance.task_state != t.TASK_STATE_NONE:
            task_name = t.TaskState.Name(instance.task_state)
            task_name = task_name.removeprefix("TASK_STATE_").lower()
            raise Conflict(
                f"Cannot '{action}' instance {server_id} while it is in task_state {task_name}"
            )
        if instance.vm_state not in spec.allowed:
            vm_name = t.VmState.Name(instance.vm_state).removeprefix("VM_STATE_").lower()
            raise Conflict(
                f"Cannot '{action}' instance {server_id} while it is in vm_state {vm_name}"
            )
        task_id = await self._begin(
            ctx, current, spec.task_state, t.Task.KIND_ACTION, action, reboot_type
        )
        if task_id is None:
            return await self.server_action(ctx, server_id, action, reboot_type)
        self._submit(ctx, [task_id])

    async def list_instance_actions(
        self, ctx: RequestContext, server_id: str
    ) -> list[t.InstanceAction]:
        policy.enforce(ctx, "compute:list_instance_actions")
        await self._visible_server(ctx, server_id)
        records = await self.store.actions_of(server_id)
        return sorted(
            records, key=lambda r: (r.start_time.seconds, r.start_time.nanos), reverse=True
        )

    async def watch_servers(
        self, ctx: RequestContext, from_revision: int, all_projects: bool = False
    ) -> AsyncIterator[compute_pb2.ServerEvent]:
        """The caller's servers as they change; from revision 0, first each existing one."""
        policy.enforce(ctx, "compute:watch_servers")
        if from_revision < 0:
            raise InvalidArgument("from_revision must not be negative.")
        everyone = all_projects and policy.allows(ctx, "compute:servers:all_projects")
        # The last state of each server this stream showed: a deletion repeats it.
        known: dict[str, t.Instance] = {}
        Event = compute_pb2.ServerEvent
        if from_revision == 0:
            found, from_revision = await self.store.instances.list()
            for v in sorted(found, key=lambda v: _sort_key(v.message)):
                if everyone or v.message.project_id == ctx.project_id:
                    known[v.id] = v.message
                    yield Event(type=Event.TYPE_EXISTING, server=v.message, revision=v.mod_revision)
        prefix = keys.INSTANCES
        try:
            async for change in self.store.etcd.watch(prefix, from_revision + 1):
                instance_id = change.key[len(prefix) :]
                if change.deleted:
                    last = known.pop(instance_id, None)
                    if last is not None:
                        yield Event(type=Event.TYPE_DELETED, server=last, revision=change.revision)
                    continue
                instance = t.Instance()
                instance.ParseFromString(change.value)
                if not (everyone or instance.project_id == ctx.project_id):
                    continue
                known[instance_id] = instance
                yield Event(type=Event.TYPE_CHANGED, server=instance, revision=change.revision)
        except CompactedError as exc:
            raise InvalidArgument(
                f"revision {from_revision} is compacted (oldest kept: "
                f"{exc.compacted_revision}); watch from 0"
            ) from exc

    # Flavors.

    async def list_flavors(self, ctx: RequestContext, is_public: str = "") -> list[t.Flavor]:
        """Nova's listing: the public flavors and the non-public ones the caller's project
        has access to. Only an admin's `is_public` counts: "false" lists only the non-public
        flavors, "none" every flavor."""
        policy.enforce(ctx, "compute:list_flavors")
        wanted = parse_is_public(is_public) if ctx.is_admin else True
        found, _ = await self.store.flavors.list()
        flavors = [f.message for f in found]
        if wanted is True:
            granted = await self._private_flavors_of(ctx.project_id)
            flavors = [f for f in flavors if f.is_public or f.id in granted]
        elif wanted is False:
            flavors = [f for f in flavors if not f.is_public]
        return sorted(flavors, key=lambda f: (f.ram_mb, f.vcpus, f.id))

    async def get_flavor(self, ctx: RequestContext, flavor_ref: str) -> t.Flavor:
        policy.enforce(ctx, "compute:get_flavor")
        flavor = await self._flavor_by_ref(ctx, flavor_ref)
        if flavor is None:
            raise NotFound(f"Flavor {flavor_ref} could not be found.")
        return flavor

    async def create_flavor(self, ctx: RequestContext, flavor: t.Flavor) -> t.Flavor:
        policy.enforce(ctx, "compute:create_flavor")
        check_flavor(flavor)  # Nova's bounds: every sum of flavors stays countable
        created = t.Flavor()
        created.CopyFrom(flavor)
        created.id = flavor.id or str(uuid.uuid4())
        if "/" in created.id or len(created.id) > MAX_NAME_LENGTH:
            raise InvalidArgument("Flavor id must be 1-255 characters without '/'.")
        if not flavor.rxtx_factor:
            created.rxtx_factor = 1.0
        if not flavor.HasField("is_public"):
            created.is_public = True  # Nova's default: a flavor is public unless made private
        existing, _ = await self.store.flavors.list()
        if any(f.message.name == created.name for f in existing):
            raise Conflict(f"Flavor with name {created.name} already exists.")
        # The name's index key is created with the flavor: of two concurrent creates with
        # one name, exactly one succeeds.
        name_key = _flavor_name_key(created.name)
        result = await self.store.etcd.txn(
            [self.store.flavors.absent(created.id), etcd_ops.absent(name_key)],
            [
                self.store.flavors.put_op(created.id, created),
                etcd_ops.put(name_key, created.id.encode()),
            ],
        )
        if not result.succeeded:
            if await self.store.flavors.get(created.id) is not None:
                raise Conflict(f"Flavor with ID {created.id} already exists.")
            raise Conflict(f"Flavor with name {created.name} already exists.")
        return created

    async def delete_flavor(self, ctx: RequestContext, flavor_id: str) -> None:
        """Delete a flavor by id, and its access grants with it. Servers built from it keep
        their own copy of it."""
        policy.enforce(ctx, "compute:delete_flavor")
        for _ in range(MAX_CAS_ATTEMPTS):
            current = await self.store.flavors.get(flavor_id)
            if current is None:
                raise NotFound(f"Flavor {flavor_id} could not be found.")
            name_key = _flavor_name_key(current.message.name)
            index = await self.store.etcd.get(name_key)
            frees_name = (
                [etcd_ops.delete(name_key)] if index and index.value == flavor_id.encode() else []
            )
            result = await self.store.etcd.txn(
                [self.store.flavors.unchanged(flavor_id, current.mod_revision)],
                [
                    self.store.flavors.delete_op(flavor_id),
                    self._delete_grants_op(flavor_id),
                    *frees_name,
                ],
            )
            if result.succeeded:
                return
        raise Unavailable(f"Flavor {flavor_id} is changing too fast; try again.")

    async def set_flavor_extra_specs(
        self, ctx: RequestContext, flavor_id: str, extra_specs: dict[str, str]
    ) -> t.Flavor:
        """Merge `extra_specs` into the flavor's (Nova's os-extra_specs create and update)."""
        policy.enforce(ctx, "compute:set_flavor_extra_specs")
        for key, value in extra_specs.items():
            if not EXTRA_SPEC_KEY.match(key):
                raise InvalidArgument(
                    f"Invalid extra spec key {key!r}: 1-255 characters of letters, digits, "
                    "spaces and -_:. only."
                )
            if len(value) > MAX_NAME_LENGTH:
                raise InvalidArgument(
                    f"Extra spec value of {key!r} is longer than {MAX_NAME_LENGTH} characters."
                )

        def merge(flavor: t.Flavor) -> None:
            flavor.extra_specs.update(extra_specs)

        return (await self.store.flavors.update(flavor_id, merge)).message

    async def delete_flavor_extra_spec(
        self, ctx: RequestContext, flavor_id: str, key: str
    ) -> t.Flavor:
        policy.enforce(ctx, "compute:delete_flavor_extra_spec")

        def remove(flavor: t.Flavor) -> None:
            if key not in flavor.extra_specs:
                raise NotFound(f"Flavor {flavor_id} has no extra specs with key {key}.")
            del flavor.extra_specs[key]

        return (await self.store.flavors.update(flavor_id, remove)).message

    # Images.

    async def list_images(self, ctx: RequestContext, name: str = "") -> list[t.Image]:
        policy.enforce(ctx, "compute:list_images")
        found, _ = await self.store.images.list()
        return [
            i.message
            for i in found
            if (not name or i.message.name == name)
            and (
                i.message.visibility != "private"
                or i.message.owner == ctx.project_id
                or ctx.is_admin
            )
        ]

    async def get_image(self, ctx: RequestContext, image_id: str) -> t.Image:
        policy.enforce(ctx, "compute:get_image")
        found = await self.store.images.get(image_id)
        if found is None or (
            found.message.visibility == "private"
            and found.message.owner != ctx.project_id
            and not ctx.is_admin
        ):
            raise NotFound(f"Image {image_id} could not be found.")
        return found.message

    async def create_image(self, ctx: RequestContext, image: t.Image) -> t.Image:
        policy.enforce(ctx, "compute:create_image")
        check_name("Image", image.name)
        if image.min_ram_mb < 0 or image.min_disk_gb < 0:
            raise InvalidArgument("min_ram and min_disk must not be negative.")
        created = t.Image()
        created.CopyFrom(image)
        created.id = image.id or str(uuid.uuid4())
        created.status = image.status or "active"
        created.visibility = image.visibility or "public"
        created.owner = image.owner or ctx.project_id
        created.created_at.CopyFrom(actions.now())
        created.updated_at.CopyFrom(actions.now())
        try:
            await self.store.images.create(created.id, created)
        except AlreadyExists as exc:
            raise Conflict(f"Image with ID {created.id} already exists.") from exc
        return created

    # Hosts and services.

    async def list_hosts(self, ctx: RequestContext) -> list[compute_pb2.HostView]:
        policy.enforce(ctx, "compute:list_hosts")
        hosts, _ = await self.store.hosts.list()
        usage = {u.id: u.message for u in (await self.store.host_usage.list())[0]}
        alive = await self.store.live_host_names()
        return [
            compute_pb2.HostView(
                host=h.message,
                up=h.id in alive,
                usage=usage.get(h.id, t.HostUsage(host=h.id)),
            )
            for h in hosts
        ]

    async def list_services(self, ctx: RequestContext) -> list[compute_pb2.ServiceView]:
        policy.enforce(ctx, "compute:list_services")
        found, _ = await self.store.services.list()
        return [compute_pb2.ServiceView(service=s.message, up=True) for s in found]
