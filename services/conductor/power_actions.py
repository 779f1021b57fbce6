"""Power actions: stop, start, reboot, pause, unpause, suspend, resume.

The api has already checked the action is allowed and set the task_state; this flow asks
the host's agent to do it and records the outcome: the new vm_state and the power state
the hypervisor reports, or, on failure, the old vm_state and the cause in the action log.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from services.conductor.deps import Deps
from services.runtime import context
from services.runtime.errors import NotFound, StratusError
from services.state import actions
from stratus.v1 import agent_pb2
from stratus.v1 import types_pb2 as t

log = structlog.get_logger(__name__)
Op = agent_pb2.Command


@dataclass(frozen=True)
class PowerAction:
    """How one API action runs: allowed states, its task_state, command and end state."""

    name: str
    allowed: frozenset[t.VmState]
    task_state: t.TaskState
    op: agent_pb2.Command.Op
    vm_state: t.VmState


ACTIONS: dict[str, PowerAction] = {
    a.name: a
    for a in (
        PowerAction(
            "stop",
            frozenset({t.VM_STATE_ACTIVE, t.VM_STATE_ERROR}),
            t.TASK_STATE_POWERING_OFF,
            Op.OP_STOP,
            t.VM_STATE_STOPPED,
        ),
        PowerAction(
            "start",
            frozenset({t.VM_STATE_STOPPED}),
            t.TASK_STATE_POWERING_ON,
            Op.OP_START,
            t.VM_STATE_ACTIVE,
        ),
        PowerAction(
            "reboot",
            frozenset({t.VM_STATE_ACTIVE}),
            t.TASK_STATE_REBOOTING,
            Op.OP_REBOOT_SOFT,
            t.VM_STATE_ACTIVE,
        ),
        PowerAction(
            "reboot_hard",
            frozenset(
                {
                    t.VM_STATE_ACTIVE,
                    t.VM_STATE_STOPPED,
                    t.VM_STATE_PAUSED,
                    t.VM_STATE_SUSPENDED,
                    t.VM_STATE_ERROR,
                }
            ),
            t.TASK_STATE_REBOOTING_HARD,
            Op.OP_REBOOT_HARD,
            t.VM_STATE_ACTIVE,
        ),
        PowerAction(
            "pause",
            frozenset({t.VM_STATE_ACTIVE}),
            t.TASK_STATE_PAUSING,
            Op.OP_PAUSE,
            t.VM_STATE_PAUSED,
        ),
        PowerAction(
            "unpause",
            frozenset({t.VM_STATE_PAUSED}),
            t.TASK_STATE_UNPAUSING,
            Op.OP_UNPAUSE,
            t.VM_STATE_ACTIVE,
        ),
        PowerAction(
            "suspend",
            frozenset({t.VM_STATE_ACTIVE}),
            t.TASK_STATE_SUSPENDING,
            Op.OP_SUSPEND,
            t.VM_STATE_SUSPENDED,
        ),
        PowerAction(
            "resume",
            frozenset({t.VM_STATE_SUSPENDED}),
            t.TASK_STATE_RESUMING,
            Op.OP_RESUME,
            t.VM_STATE_ACTIVE,
        ),
    )
}


async def run(deps: Deps, task: t.Task) -> None:
    name = "reboot_hard" if task.action == "reboot" and task.reboot_type == "HARD" else task.action
    await perform(deps, task, ACTIONS[name])


async def perform(deps: Deps, task: t.Task, action: PowerAction) -> None:
    instance_id = task.instance_id
    found = await deps.store.instances.get(instance_id)
    if found is None or found.message.task_state != action.task_state:
        return  # deleted meanwhile, or this step already completed before a restart
    error = ""
    power_state = found.message.power_state
    try:
        result = await deps.hub.command(
            found.message.host,
            action.op,
            instance_id,
            request_id=context.current().request_id,
            timeout_seconds=deps.config.action_timeout_seconds,
        )
        error = "" if result.ok else result.error
        if result.ok:
            power_state = result.power_state
    except StratusError as exc:
        error = exc.message

    def record(instance: t.Instance) -> None:
        if instance.task_state != action.task_state:
            return
        instance.task_state = t.TASK_STATE_NONE
        if not error:
            instance.vm_state = action.vm_state
            instance.power_state = power_state
        instance.updated_at.CopyFrom(actions.now())

    finished = await actions.finished_ops(deps.store, task.action_record_id, error)
    try:
        await deps.store.instances.update(instance_id, record, extra_ops=finished)
    except NotFound:
        return
    if error:
        log.warning("action failed", action=action.name, instance_id=instance_id, error=error)
    else:
        log.info(
            "action done",
            action=action.name,
            instance_id=instance_id,
            power_state=t.PowerState.Name(power_state),
        )
