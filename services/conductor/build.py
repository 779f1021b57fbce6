"""The build flow: schedule, claim, address, spawn; reschedule on failure; error at the end.

Safe to rerun after a crash at any step: a claim already made is reused, the address
allocation is idempotent, and spawning an instance whose domain exists starts it.

A short outage must not fail the backlog. When the scheduler finds no host because hosts
are down, or the chosen host's agent is not connected (or its stream ended mid-spawn), the
build waits for hosts to come back, up to `host_wait_grace_seconds` from the first time it
found them gone, and only then fails, with a fault that says so. Hosts that are merely
full fail the build at once, as in Nova.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import structlog
from prometheus_client import Counter

from services.conductor import cloud_metrics, pending_destroys
from services.conductor.agents import HostNotConnected
from services.conductor.deps import Deps
from services.runtime import context
from services.runtime.errors import NotFound, StratusError
from services.state import actions, claims, ipam, placement
from services.state.repository import Versioned
from stratus.v1 import agent_pb2, scheduler_pb2
from stratus.v1 import types_pb2 as t

log = structlog.get_logger(__name__)

NO_VALID_HOST_CODE = 500
# While hosts are down, ask the scheduler again this often (or as soon as one reconnects).
HOST_WAIT_POLL_SECONDS = 1.0
# Between spawns sent again to a host that was away (its stream may still be settling).
RESPAWN_PAUSE_SECONDS = 0.2
LIVENESS_FILTER = "ComputeFilter"

BUILDS = Counter(
    "stratus_conductor_builds_total",
    "Builds finished, by outcome: active, or error (no valid host, or every attempt failed).",
    ["outcome"],
)
for _outcome in ("active", "error"):
    BUILDS.labels(_outcome)  # both outcomes are series from the start, at 0
RESCHEDULES = Counter(
    "stratus_conductor_build_reschedules_total",
    "Spawns that failed on their host, after which the build tried another host or gave up.",
)


class BuildAborted(Exception):
    """The instance was deleted (or finished) while building; nothing more to do."""


class HostsDown(Exception):
    """No host fits now because hosts are down; they may come back within the grace."""


class Grace:
    """One build's patience with hosts that are gone, counted from when it first saw them."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._deadline: float | None = None
        self.started_at = 0.0  # wall-clock time, to compare with hosts' report times

    def start(self) -> None:
        """Start the clock, unless it runs already."""
        if self._deadline is None:
            self._deadline = asyncio.get_running_loop().time() + self.seconds
            self.started_at = time.time()

    def remaining(self) -> float:
        """Seconds left to wait (the clock starts at the first call)."""
        self.start()
        assert self._deadline is not None
        return self._deadline - asyncio.get_running_loop().time()

    def gave_up(self, why: str) -> str:
        return f"No host came back within {self.seconds:g} s: {why}"


async def _still_building(deps: Deps, instance_id: str) -> Versioned[t.Instance]:
    found = await deps.store.instances.get(instance_id)
    if (
        found is None
        or found.message.vm_state != t.VM_STATE_BUILDING
        or found.message.task_state == t.TASK_STATE_DELETING
    ):
        raise BuildAborted()
    return found


def _building(instance: t.Instance) -> None:
    if instance.vm_state != t.VM_STATE_BUILDING or (instance.task_state == t.TASK_STATE_DELETING):
        raise BuildAborted()


async def _set_states(deps: Deps, instance_id: str, task_state: t.TaskState) -> t.Instance:
    def apply(instance: t.Instance) -> None:
        _building(instance)
        instance.task_state = task_state
        instance.updated_at.CopyFrom(actions.now())

    return (await deps.store.instances.update(instance_id, apply)).message


def _spawning_on(host: str, zone: str, alternates: list[str]) -> Callable[[t.Instance], None]:
    """Host chosen and address given: the instance is spawning there (one write for both)."""

    def apply(instance: t.Instance) -> None:
        _building(instance)
        instance.host = host
        instance.host_availability_zone = zone
        instance.alternate_hosts[:] = alternates
        instance.task_state = t.TASK_STATE_SPAWNING
        instance.updated_at.CopyFrom(actions.now())

    return apply


async def _addressed(
    deps: Deps, instance: t.Instance, spawning: Callable[[t.Instance], None]
) -> t.Instance:
    """The instance placed, with an address on the network unless it was booted without."""
    if instance.without_network:
        return (await deps.store.instances.update(instance.id, spawning)).message
    return await ipam.allocate(deps.store, deps.network, instance.id, also=spawning)


async def _fail(deps: Deps, instance_id: str, message: str, details: str, action_id: str) -> None:
    """ERROR with a fault, and give back everything the build took (claim, addresses)."""
    await claims.release(deps.store, instance_id)
    current = await deps.store.instances.get(instance_id)
    if current is None:
        return

    def apply(instance: t.Instance) -> None:
        if instance.task_state == t.TASK_STATE_DELETING:
            raise BuildAborted()
        instance.vm_state = t.VM_STATE_ERROR
        instance.task_state = t.TASK_STATE_NONE
        instance.power_state = t.POWER_STATE_NOSTATE
        instance.host = ""
        del instance.addresses[:]
        instance.fault.CopyFrom(
            t.Fault(
                code=NO_VALID_HOST_CODE,
                message=message,
                details=details,
                created_at=actions.now(),
            )
        )
        instance.updated_at.CopyFrom(actions.now())

    finished = await actions.finished_ops(deps.store, action_id, f"{message} {details}")
    try:
        await deps.store.instances.update(
            instance_id, apply, extra_ops=[*ipam.release_ops(current.message), *finished]
        )
    except (BuildAborted, NotFound):
        return
    BUILDS.labels("error").inc()


async def _hosts_are_down(
    deps: Deps, response: scheduler_pb2.SelectDestinationResponse, grace: Grace
) -> bool:
    """Whether the scheduler found no host because hosts are down that may come back.

    Only hosts that went away recently count: an enabled host without a live agent that had
    been down for no longer than the grace when this build began to wait. A host gone for
    longer is not coming back for this build, and waiting for it would turn every ordinary
    NoValidHost (a full cloud, a flavor too big) into a wait of the whole grace.
    """
    if not any(f.hosts_removed for f in response.filters if f.filter == LIVENESS_FILTER):
        return False
    grace.start()
    config = deps.config
    # From a host's last report until it is seen down: its next report was due, its
    # stream's heartbeat deadline passed, then its liveness lease expired.
    noticed_after = (
        config.capacity_interval_seconds
        + config.heartbeat_timeout_seconds
        + config.service_lease_ttl_seconds
    )
    last_heard_since = grace.started_at - grace.seconds - noticed_after
    hosts, _ = await deps.store.hosts.list()
    live = await deps.store.live_host_names()
    return any(
        h.message.enabled
        and h.id not in live
        and h.message.updated_at.ToSeconds() >= last_heard_since
        for h in hosts
    )


async def _choose_host(
    deps: Deps, instance: t.Instance, image: t.Image, action_id: str, grace: Grace
) -> tuple[str, list[str]] | None:
    """The host (and runner-ups) for this attempt; None when no host is left (ERROR).

    Raises HostsDown while hosts that are down might still come back within the grace.

    A rerun after a crash reuses the claim already made. After a failed spawn the
    same decision's alternates are tried first; when none of them fits any more, a fresh
    decision that avoids every failed host.
    """
    existing = await deps.store.allocations.get(instance.id)
    if existing is not None:
        return existing.message.host, list(instance.alternate_hosts)
    if instance.task_state != t.TASK_STATE_SCHEDULING:  # a reschedule
        await _set_states(deps, instance.id, t.TASK_STATE_SCHEDULING)
    request = await placement.placement_request(deps.store, instance, instance.flavor, image)
    request.ignore_hosts.extend(instance.failed_hosts)
    request.num_alternates = max(0, deps.config.max_build_attempts - 1)
    alternates = [h for h in instance.alternate_hosts if h not in instance.failed_hosts]
    response = None
    if instance.failed_hosts and alternates:
        request.only_hosts.extend(alternates)
        response = await deps.scheduler.select_destination(request)
        del request.only_hosts[:]
    if response is None or not response.host:
        response = await deps.scheduler.select_destination(request)
    if not response.host:
        details = response.no_valid_host_reason
        if await _hosts_are_down(deps, response, grace):
            if grace.remaining() > 0:
                raise HostsDown(details)
            details = grace.gave_up(details)
        if instance.build_errors:
            details += ". Earlier attempts: " + "; ".join(instance.build_errors)
        await _fail(deps, instance.id, "No valid host was found.", details, action_id)
        return None
    return response.host, list(response.alternates)


async def run(deps: Deps, task: t.Task) -> None:
    action_id = task.action_record_id
    try:
        await _build(deps, task.instance_id, action_id)
    except BuildAborted:
        log.info(
            "build ended early: the instance was deleted or changed", instance_id=task.instance_id
        )
        await actions.finish(deps.store, action_id)
    except Exception as error:
        found = await deps.store.instances.get(task.instance_id)
        if found is not None and found.message.vm_state == t.VM_STATE_ERROR:
            await actions.finish(deps.store, action_id, found.message.fault.message)
            return
        raise error


async def _build(deps: Deps, instance_id: str, action_id: str) -> None:
    ctx = context.current()
    image: t.Image | None = None
    grace = Grace(deps.config.host_wait_grace_seconds)
    while True:
        current = (await _still_building(deps, instance_id)).message
        if image is None:
            found_image = await deps.store.images.get(current.image_id)
            image = found_image.message if found_image else t.Image(id=current.image_id)
        try:
            chosen = await _choose_host(deps, current, image, action_id, grace)
        except HostsDown as down:
            log.info(
                "hosts are down; waiting for them to come back",
                instance_id=instance_id,
                remaining_seconds=round(grace.remaining(), 1),
                reason=str(down),
            )
            await deps.hub.wait_for_a_connect(min(grace.remaining(), HOST_WAIT_POLL_SECONDS))
            continue
        if chosen is None:
            return
        host, alternates = chosen
        aggregates, _ = await deps.store.aggregates.list()
        zone = placement.host_zone(host, [a.message for a in aggregates])
        with_address = await _addressed(deps, current, _spawning_on(host, zone, alternates))
        spec = agent_pb2.SpawnSpec(
            instance_id=instance_id,
            name=with_address.name,
            vcpus=with_address.flavor.vcpus,
            memory_mb=with_address.flavor.ram_mb,
            disk_gb=with_address.flavor.disk_gb,
            image=image,
            addresses=list(with_address.addresses),
            metadata=dict(with_address.metadata),
        )
        result, error = await _spawn(deps, host, spec, ctx.request_id, grace)
        if result is not None and result.ok:
            await _activate(deps, instance_id, result.power_state, action_id)
            return
        log.warning("spawn failed, rescheduling", instance_id=instance_id, host=host, error=error)
        await _reschedule(deps, instance_id, host, error, action_id)


async def _spawn(
    deps: Deps, host: str, spec: agent_pb2.SpawnSpec, request_id: str, grace: Grace
) -> tuple[agent_pb2.CommandResult | None, str]:
    """Spawn on `host`; its result, or None and why not. A host whose agent is away is
    given the build's grace to come back, and then the same spawn is sent again (safe:
    spawning an instance whose domain exists starts it)."""
    while True:
        try:
            result = await deps.hub.command(
                host,
                agent_pb2.Command.OP_SPAWN,
                spec.instance_id,
                request_id=request_id,
                timeout_seconds=deps.config.spawn_timeout_seconds,
                spawn=spec,
            )
            return result, "" if result.ok else result.error
        except HostNotConnected as exc:
            remaining = grace.remaining()
            if remaining <= 0 or not await deps.hub.reachable(host, remaining):
                return None, grace.gave_up(exc.message)
            await _still_building(deps, spec.instance_id)
            log.info("host is back; spawning again", instance_id=spec.instance_id, host=host)
            await asyncio.sleep(RESPAWN_PAUSE_SECONDS)
        except StratusError as exc:
            return None, exc.message


async def _activate(
    deps: Deps, instance_id: str, power_state: t.PowerState, action_id: str
) -> None:
    def apply(instance: t.Instance) -> None:
        if instance.task_state == t.TASK_STATE_DELETING:
            raise BuildAborted()
        instance.vm_state = t.VM_STATE_ACTIVE
        instance.task_state = t.TASK_STATE_NONE
        instance.power_state = power_state
        instance.launched_at.CopyFrom(actions.now())
        instance.updated_at.CopyFrom(actions.now())

    finished = await actions.finished_ops(deps.store, action_id)
    active = await deps.store.instances.update(instance_id, apply, extra_ops=finished)
    BUILDS.labels("active").inc()
    cloud_metrics.became_active(active.message)
    log.info("instance active", instance_id=instance_id)


async def _reschedule(deps: Deps, instance_id: str, host: str, error: str, action_id: str) -> None:
    """Give back the failed host's claim and remember it; error out after max attempts."""
    RESCHEDULES.inc()
    ctx = context.current()
    try:
        await deps.hub.command(
            host,
            agent_pb2.Command.OP_DESTROY,
            instance_id,
            request_id=ctx.request_id,
            timeout_seconds=deps.config.action_timeout_seconds,
        )
    except StratusError as exc:
        # The domain may still be there: the host owes its destroy until it confirms one.
        log.warning("cleanup of the failed spawn did not finish", host=host, error=exc.message)
        await deps.store.etcd.txn([], [pending_destroys.put_op(host, instance_id, ctx.request_id)])
        deps.hub.recheck(host)
    await claims.release(deps.store, instance_id, build_failed=True)

    def remember(instance: t.Instance) -> None:
        instance.failed_hosts.append(host)
        instance.build_errors.append(f"{host}: {error}")
        instance.host = ""

    updated = (await deps.store.instances.update(instance_id, remember)).message
    if len(updated.failed_hosts) >= deps.config.max_build_attempts:
        attempts = "; ".join(updated.build_errors)
        await _fail(
            deps,
            instance_id,
            f"Build of instance {instance_id} failed after {len(updated.failed_hosts)} attempts.",
            f"Attempts: {attempts}",
            action_id,
        )
        raise BuildAborted()
