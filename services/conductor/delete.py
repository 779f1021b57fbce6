"""The delete flow: destroy the domain, release the claim and addresses, remove the records.

The quota the server counts is given back in the transaction that removes its record, so a
retried delete never gives it back twice (services.state.quotas). A failed build keeps
counting until the server is deleted, as in Nova.

If the host's agent is not connected the records are removed anyway (Nova's local
delete), and the same transaction records the destroy the host still owes
(services.conductor.pending_destroys): it is carried out when the agent is back, and the
resync that follows any reconnect destroys whatever domain no server owns.
"""

from __future__ import annotations

import contextlib

import structlog

from services.conductor import pending_destroys
from services.conductor.deps import Deps
from services.runtime import context
from services.runtime.errors import NotFound, StratusError
from services.state import actions, claims, ipam, keys, quotas
from services.state import etcd as etcd_ops
from stratus.v1 import agent_pb2
from stratus.v1 import types_pb2 as t

log = structlog.get_logger(__name__)


async def run(deps: Deps, task: t.Task) -> None:
    instance_id = task.instance_id
    found = await deps.store.instances.get(instance_id)
    if found is None:
        await claims.release(deps.store, instance_id)
        await quotas.release(deps.store, instance_id)  # a no-op once released
        return
    host = found.message.host
    owed: list[object] = []  # the destroy the host still owes, if it could not be reached
    if host:
        try:
            result = await deps.hub.command(
                host,
                agent_pb2.Command.OP_DESTROY,
                instance_id,
                request_id=context.current().request_id,
                timeout_seconds=deps.config.action_timeout_seconds,
            )
            if not result.ok:
                raise RuntimeError(f"destroy on {host} failed: {result.error}")
        except StratusError as exc:
            log.warning("host unreachable, deleting locally", host=host, error=exc.message)
            owed.append(pending_destroys.put_op(host, instance_id, context.current().request_id))
    await claims.release(deps.store, instance_id)
    await actions.finish(deps.store, task.action_record_id)

    def mark_deleted(instance: t.Instance) -> None:
        instance.vm_state = t.VM_STATE_DELETED
        instance.task_state = t.TASK_STATE_NONE
        instance.power_state = t.POWER_STATE_NOSTATE
        instance.terminated_at.CopyFrom(actions.now())
        instance.updated_at.CopyFrom(actions.now())

    # Watchers see the final DELETED state before the record disappears.
    try:
        deleted = await deps.store.instances.update(instance_id, mark_deleted)
    except NotFound:
        return
    # The record goes in the same transaction that gives back its quota: exactly once.
    await quotas.release(
        deps.store,
        instance_id,
        also=[
            deps.store.instances.delete_op(instance_id),
            *ipam.release_ops(deleted.message),
            etcd_ops.delete_prefix(f"{keys.INSTANCE_ACTIONS}{instance_id}/"),
            *owed,
        ],
    )
    if owed:
        # The agent may have come back while the records went: catch it now.
        deps.hub.recheck(host)
    await _leave_group(deps, deleted.message)
    log.info("instance deleted", instance_id=instance_id, host=host)


async def _leave_group(deps: Deps, instance: t.Instance) -> None:
    """A deleted server is no longer a member of its server group (nor counts for it)."""
    if not instance.server_group_id:
        return

    def drop(group: t.ServerGroup) -> None:
        if instance.id in group.members:
            group.members.remove(instance.id)

    with contextlib.suppress(NotFound):
        await deps.store.server_groups.update(instance.server_group_id, drop)
