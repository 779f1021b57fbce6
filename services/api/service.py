"""The api's service layer: every public operation, shared by the gRPC and REST front ends.

It checks the request, writes the intended change to etcd in one transaction (the
instance or its new task_state, a conductor task, the action record), then hands the task
to a conductor and answers at once. Reads come straight from etcd.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import uuid
from collections.abc import AsyncIterator

import grpc
import structlog

from services.api.status import KNOWN_STATUSES, server_status
from services.conductor.power_actions import ACTIONS
from services.runtime import context
from services.runtime.context import RequestContext
from services.runtime.errors import (
    AlreadyExists,
    Conflict,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from services.runtime.registration import Replicas
from services.state import actions, keys
from services.state.etcd import CompactedError
from services.state.repository import Versioned
from services.state.store import Store
from stratus.v1 import compute_pb2, conductor_pb2, conductor_pb2_grpc
from stratus.v1 import types_pb2 as t

log = structlog.get_logger(__name__)

MAX_NAME_LENGTH = 255
MAX_METADATA_ITEMS = 128
ACTION_NAMES = ("stop", "start", "reboot", "pause", "unpause", "suspend", "resume")


def check_name(kind: str, name: str) -> str:
    """Nova's rule: 1-255 printable characters, no leading or trailing whitespace."""
    if not name or not name.strip():
        raise InvalidArgument(f"{kind} name must not be empty.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidArgument(f"{kind} name is longer than {MAX_NAME_LENGTH} characters.")
    if name != name.strip():
        raise InvalidArgument(f"{kind} name must not start or end with whitespace.")
    if not name.isprintable():
        raise InvalidArgument(f"{kind} name contains non-printable characters.")
    return name


def check_metadata(metadata: dict[str, str]) -> None:
    if len(metadata) > MAX_METADATA_ITEMS:
        raise InvalidArgument(f"Metadata has more than {MAX_METADATA_ITEMS} items.")
    for key, value in metadata.items():
        if not key or len(key) > MAX_NAME_LENGTH:
            raise InvalidArgument("Metadata keys must be 1 to 255 characters long.")
        if len(value) > MAX_NAME_LENGTH:
            raise InvalidArgument(f"Metadata value of {key!r} is longer than 255 characters.")


def visible(ctx: RequestContext, instance: t.Instance) -> bool:
    """A user sees only their project's servers; an admin sees all."""
    return ctx.is_admin or instance.project_id == ctx.project_id


def _sort_key(instance: t.Instance) -> tuple[int, int, str]:
    # Nova lists newest first (created_at desc, then id desc).
    return (-instance.created_at.seconds, -instance.created_at.nanos, instance.id)


class ComputeApi:
    def __init__(
        self,
        store: Store,
        *,
        max_servers_per_request: int = 100,
        conductor_timeout_seconds: float = 5.0,
    ) -> None:
        self.store = store
        self.max_servers_per_request = max_servers_per_request
        self.conductor_timeout_seconds = conductor_timeout_seconds
        self.conductors = Replicas(store.etcd, "stratus-conductor")
        self._submissions: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        if self._submissions:
            await asyncio.wait(self._submissions, timeout=self.conductor_timeout_seconds)
        await self.conductors.close()

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
        )

    # Servers.

    async def _flavor_by_ref(self, ref: str) -> t.Flavor | None:
        found = await self.store.flavors.get(ref)
        if found is not None:
            return found.message
        flavors, _ = await self.store.flavors.list()
        return next((f.message for f in flavors if f.message.name == ref), None)

    async def _image_by_ref(self, ref: str) -> t.Image | None:
        found = await self.store.images.get(ref)
        if found is not None:
            return found.message
        images, _ = await self.store.images.list()
        return next((i.message for i in images if i.message.name == ref), None)

    async def create_servers(
        self, ctx: RequestContext, request: compute_pb2.CreateServersRequest
    ) -> compute_pb2.CreateServersResponse:
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
        check_metadata(metadata)
        if not request.flavor_ref:
            raise InvalidArgument("flavorRef is required.")
        flavor = await self._flavor_by_ref(request.flavor_ref)
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

        reservation_id = "r-" + secrets.token_hex(4)
        created: list[t.Instance] = []
        task_ids: list[str] = []
        for index in range(max_count):
            instance = t.Instance(
                id=str(uuid.uuid4()),
                name=name if max_count == 1 else f"{name}-{index + 1}",
                project_id=ctx.project_id,
                user_id=ctx.user_id,
                flavor=flavor,
                image_id=image.id,
                vm_state=t.VM_STATE_BUILDING,
                task_state=t.TASK_STATE_SCHEDULING,
                power_state=t.POWER_STATE_NOSTATE,
                metadata=metadata,
                reservation_id=reservation_id,
                launch_index=index,
                created_at=actions.now(),
                updated_at=actions.now(),
            )
            record_id, record = actions.started(ctx, instance.id, "create")
            task = self._task(ctx, t.Task.KIND_BUILD, instance.id, record_id)
            result = await self.store.etcd.txn(
                [self.store.instances.absent(instance.id)],
                [
                    self.store.instances.put_op(instance.id, instance),
                    self.store.tasks.put_op(task.id, task),
                    self.store.actions.put_op(record_id, record),
                ],
            )
            if not result.succeeded:
                raise Unavailable("could not record the server; try again")
            created.append(instance)
            task_ids.append(task.id)
        self._submit(ctx, task_ids)
        log.info(
            "servers requested",
            count=len(created),
            reservation_id=reservation_id,
            flavor=flavor.id,
            image=image.id,
        )
        return compute_pb2.CreateServersResponse(reservation_id=reservation_id, servers=created)

    async def _visible_server(self, ctx: RequestContext, server_id: str) -> Versioned[t.Instance]:
        found = await self.store.instances.get(server_id)
        if found is None or not visible(ctx, found.message):
            raise NotFound(f"Instance {server_id} could not be found.")
        return found

    async def get_server(self, ctx: RequestContext, server_id: str) -> t.Instance:
        return (await self._visible_server(ctx, server_id)).message

    async def list_servers(
        self, ctx: RequestContext, request: compute_pb2.ListServersRequest
    ) -> compute_pb2.ListServersResponse:
        if request.limit < 0:
            raise InvalidArgument("limit must be a positive integer.")
        status = request.status.upper()
        if status and status not in KNOWN_STATUSES:
            raise InvalidArgument(f"Invalid status value: {request.status}")
        try:
            name_pattern = re.compile(request.name) if request.name else None
        except re.error as exc:
            raise InvalidArgument(f"Invalid name filter {request.name!r}: {exc}") from exc
        everyone = request.all_projects and ctx.is_admin
        since = request.changes_since if request.HasField("changes_since") else None
        found, _ = await self.store.instances.list()
        servers = [
            v.message
            for v in found
            if (everyone or v.message.project_id == ctx.project_id)
            and (name_pattern is None or name_pattern.search(v.message.name))
            and (not status or server_status(v.message) == status)
            and (not request.host or not ctx.is_admin or v.message.host == request.host)
            and (
                since is None
                or (v.message.updated_at.seconds, v.message.updated_at.nanos)
                >= (since.seconds, since.nanos)
            )
        ]
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
        current = await self._visible_server(ctx, server_id)
        if current.message.task_state == t.TASK_STATE_DELETING:
            return  # already being deleted: deleting again changes nothing
        task_id = await self._begin(
            ctx, current, t.TASK_STATE_DELETING, t.Task.KIND_DELETE, "delete"
        )
        if task_id is None:
            return await self.delete_server(ctx, server_id)  # changed meanwhile: look again
        self._submit(ctx, [task_id])

    async def server_action(
        self, ctx: RequestContext, server_id: str, action: str, reboot_type: str = ""
    ) -> None:
        if action not in ACTION_NAMES:
            raise InvalidArgument(
                f"Unknown action {action!r}; expected one of: {', '.join(ACTION_NAMES)}."
            )
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
        await self._visible_server(ctx, server_id)
        records = await self.store.actions_of(server_id)
        return sorted(
            records, key=lambda r: (r.start_time.seconds, r.start_time.nanos), reverse=True
        )

    async def watch_servers(
        self, ctx: RequestContext, from_revision: int, all_projects: bool = False
    ) -> AsyncIterator[compute_pb2.ServerEvent]:
        """The caller's servers as they change; from revision 0, first each existing one."""
        if from_revision < 0:
            raise InvalidArgument("from_revision must not be negative.")
        everyone = all_projects and ctx.is_admin
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

    async def list_flavors(self, ctx: RequestContext) -> list[t.Flavor]:
        found, _ = await self.store.flavors.list()
        flavors = [f.message for f in found if f.message.is_public or ctx.is_admin]
        return sorted(flavors, key=lambda f: (f.ram_mb, f.vcpus, f.id))

    async def get_flavor(self, ctx: RequestContext, flavor_ref: str) -> t.Flavor:
        flavor = await self._flavor_by_ref(flavor_ref)
        if flavor is None:
            raise NotFound(f"Flavor {flavor_ref} could not be found.")
        return flavor

    async def create_flavor(self, ctx: RequestContext, flavor: t.Flavor) -> t.Flavor:
        if not ctx.is_admin:
            raise PermissionDenied("Policy doesn't allow os_compute_api:os-flavor-manage:create.")
        check_name("Flavor", flavor.name)
        if flavor.vcpus < 1:
            raise InvalidArgument("vcpus must be a positive integer.")
        if flavor.ram_mb < 1:
            raise InvalidArgument("ram must be a positive integer.")
        if flavor.disk_gb < 0 or flavor.ephemeral_gb < 0 or flavor.swap_mb < 0:
            raise InvalidArgument("disk, ephemeral and swap must not be negative.")
        created = t.Flavor()
        created.CopyFrom(flavor)
        created.id = flavor.id or str(uuid.uuid4())
        if "/" in created.id or len(created.id) > MAX_NAME_LENGTH:
            raise InvalidArgument("Flavor id must be 1-255 characters without '/'.")
        if not flavor.rxtx_factor:
            created.rxtx_factor = 1.0
        existing, _ = await self.store.flavors.list()
        if any(f.message.name == created.name for f in existing):
            raise Conflict(f"Flavor with name {created.name} already exists.")
        try:
            await self.store.flavors.create(created.id, created)
        except AlreadyExists as exc:
            raise Conflict(f"Flavor with ID {created.id} already exists.") from exc
        return created

    # Images.

    async def list_images(self, ctx: RequestContext, name: str = "") -> list[t.Image]:
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
        found = await self.store.images.get(image_id)
        if found is None or (
            found.message.visibility == "private"
            and found.message.owner != ctx.project_id
            and not ctx.is_admin
        ):
            raise NotFound(f"Image {image_id} could not be found.")
        return found.message

    async def create_image(self, ctx: RequestContext, image: t.Image) -> t.Image:
        if not ctx.is_admin:
            raise PermissionDenied("Policy doesn't allow add_image.")
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
        if not ctx.is_admin:
            raise PermissionDenied("Policy doesn't allow os_compute_api:os-hypervisors:list.")
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
        if not ctx.is_admin:
            raise PermissionDenied("Policy doesn't allow os_compute_api:os-services:list.")
        found, _ = await self.store.services.list()
        return [compute_pb2.ServiceView(service=s.message, up=True) for s in found]
