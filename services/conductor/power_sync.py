"""Power states from the hypervisor, folded into instance records (Nova's power sync).

The hypervisor is the authority on power state. When no task is in progress, vm_state
follows clear changes made outside Stratus (a guest that powered itself off is stopped);
during a task, the flow running it owns vm_state and only power_state is recorded.

Reports are handled in order on the agent's stream, whose handler must never wait for a
command on that same stream (the answer would queue behind it): destroying the domains a
resync found orphaned, and the destroys that waited for the host
(services.conductor.pending_destroys), run beside the stream instead.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

from services.conductor import pending_destroys
from services.conductor.agents import AgentHub
from services.runtime.errors import NotFound
from services.state.store import Store
from stratus.v1 import agent_pb2
from stratus.v1 import types_pb2 as t

log = structlog.get_logger(__name__)

# vm_state an idle instance moves to when the hypervisor reports this power state.
_FOLLOW = {
    (t.VM_STATE_ACTIVE, t.POWER_STATE_SHUTDOWN): t.VM_STATE_STOPPED,
    (t.VM_STATE_ACTIVE, t.POWER_STATE_CRASHED): t.VM_STATE_STOPPED,
    (t.VM_STATE_ACTIVE, t.POWER_STATE_PAUSED): t.VM_STATE_PAUSED,
    (t.VM_STATE_PAUSED, t.POWER_STATE_RUNNING): t.VM_STATE_ACTIVE,
    (t.VM_STATE_STOPPED, t.POWER_STATE_RUNNING): t.VM_STATE_ACTIVE,
}


class PowerSync:
    def __init__(self, store: Store, hub: AgentHub, command_timeout_seconds: float) -> None:
        self.store = store
        self.hub = hub
        self.command_timeout_seconds = command_timeout_seconds
        self._carrying_out: set[str] = set()
        self._carry_out_again: set[str] = set()

    async def on_host_connected(self, host: str) -> None:
        """The host's agent is connected: carry out the destroys that waited for it.

        One pass per host at a time; a request during a pass makes one more pass after it.
        """
        if host in self._carrying_out:
            self._carry_out_again.add(host)
            return
        self._carrying_out.add(host)
        try:
            while True:
                self._carry_out_again.discard(host)
                await pending_destroys.carry_out(
                    self.store, self.hub, host, self.command_timeout_seconds
                )
                if host not in self._carry_out_again:
                    return
        finally:
            self._carrying_out.discard(host)

    async def sweep_pending_destroys(self, interval_seconds: float) -> None:
        """Now and then, carry out destroys owed by the hosts held here (forever)."""
        while True:
            await asyncio.sleep(interval_seconds)
            try:
                for host in await pending_destroys.hosts_owing(self.store):
                    if self.hub.is_connected(host):
                        self.hub.recheck(host)
            except Exception:
                log.exception("pending destroy sweep failed")

    async def on_report(self, message: agent_pb2.AgentMessage) -> None:
        kind = message.WhichOneof("body")
        if kind == "power_event":
            event = message.power_event
            await self.record_power_state(event.host, event.instance_id, event.power_state)
        elif kind == "resync":
            await self.reconcile(message.resync)

    async def record_power_state(
        self, host: str, instance_id: str, power_state: t.PowerState
    ) -> None:
        def apply(instance: t.Instance) -> None:
            # Checked again on the fresh copy: the instance may have moved or begun a task.
            if instance.host != host or instance.task_state != t.TASK_STATE_NONE:
                return
            instance.power_state = power_state
            follow = _FOLLOW.get((instance.vm_state, power_state))
            if follow is not None:
                log.info(
                    "vm_state follows the hypervisor",
                    instance_id=instance_id,
                    vm_state=t.VmState.Name(follow),
                )
                instance.vm_state = follow

        found = await self.store.instances.get(instance_id)
        if found is None or found.message.host != host:
            return
        current = found.message
        if current.task_state != t.TASK_STATE_NONE:
            return  # the flow running the task records the power state it ends with
        follows = (current.vm_state, power_state) in _FOLLOW
        if current.power_state == power_state and not follows:
            return  # nothing would change: save the write
        with contextlib.suppress(NotFound):
            await self.store.instances.update(instance_id, apply)

    async def reconcile(self, resync: agent_pb2.Resync) -> None:
        """After an agent (re)connects: fix power states, destroy domains nobody owns."""
        host = resync.host
        reported = {d.instance_id: d.power_state for d in resync.domains}
        instances, _ = await self.store.instances.list()
        owned = {v.id: v.message for v in instances if v.message.host == host}
        for instance_id, instance in owned.items():
            if instance_id in reported:
                await self.record_power_state(host, instance_id, reported[instance_id])
            elif instance.vm_state not in (t.VM_STATE_BUILDING, t.VM_STATE_DELETED) and (
                instance.task_state != t.TASK_STATE_DELETING
            ):
                await self.record_power_state(host, instance_id, t.POWER_STATE_NOSTATE)
        orphans = sorted(reported.keys() - owned.keys())
        for instance_id in orphans:
            log.warning("destroying a domain no instance owns", host=host, instance_id=instance_id)
            # Beside the stream: the destroy's result comes back through this very reader.
            self.hub.run_beside(host, "destroy-orphan", self._destroyer(host, instance_id))
        log.info(
            "host resynced",
            host=host,
            domains=len(reported),
            instances=len(owned),
            orphans=len(orphans),
        )

    def _destroyer(self, host: str, instance_id: str) -> Callable[[], Awaitable[None]]:
        async def destroy() -> None:
            result = await self.hub.command(
                host,
                agent_pb2.Command.OP_DESTROY,
                instance_id,
                request_id=f"req-resync-{host}",
                timeout_seconds=self.command_timeout_seconds,
            )
            if not result.ok:
                log.warning(
                    "orphan domain not destroyed; the next resync tries again",
                    host=host,
                    instance_id=instance_id,
                    error=result.error,
                )

        return destroy
