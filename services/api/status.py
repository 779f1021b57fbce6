"""Nova's user-facing server `status`, derived from vm_state and task_state as Nova does."""

from __future__ import annotations

from stratus.v1 import types_pb2 as t

_BY_VM_STATE = {
    t.VM_STATE_BUILDING: "BUILD",
    t.VM_STATE_ACTIVE: "ACTIVE",
    t.VM_STATE_STOPPED: "SHUTOFF",
    t.VM_STATE_PAUSED: "PAUSED",
    t.VM_STATE_SUSPENDED: "SUSPENDED",
    t.VM_STATE_ERROR: "ERROR",
    t.VM_STATE_DELETED: "DELETED",
}

# Transitions that show through in `status` while the instance is active (Nova's _STATE_MAP).
_ACTIVE_TASKS = {
    t.TASK_STATE_REBOOTING: "REBOOT",
    t.TASK_STATE_REBOOTING_HARD: "HARD_REBOOT",
}

# Nova's lower-case names, as in OS-EXT-STS:vm_state and OS-EXT-STS:task_state.
VM_STATE_NAMES = {
    t.VM_STATE_BUILDING: "building",
    t.VM_STATE_ACTIVE: "active",
    t.VM_STATE_STOPPED: "stopped",
    t.VM_STATE_PAUSED: "paused",
    t.VM_STATE_SUSPENDED: "suspended",
    t.VM_STATE_ERROR: "error",
    t.VM_STATE_DELETED: "deleted",
}

TASK_STATE_NAMES = {
    t.TASK_STATE_NONE: None,
    t.TASK_STATE_SCHEDULING: "scheduling",
    t.TASK_STATE_NETWORKING: "networking",
    t.TASK_STATE_SPAWNING: "spawning",
    t.TASK_STATE_POWERING_OFF: "powering-off",
    t.TASK_STATE_POWERING_ON: "powering-on",
    t.TASK_STATE_REBOOTING: "rebooting",
    t.TASK_STATE_REBOOTING_HARD: "rebooting_hard",
    t.TASK_STATE_PAUSING: "pausing",
    t.TASK_STATE_UNPAUSING: "unpausing",
    t.TASK_STATE_SUSPENDING: "suspending",
    t.TASK_STATE_RESUMING: "resuming",
    t.TASK_STATE_DELETING: "deleting",
}

POWER_STATE_NAMES = {
    t.POWER_STATE_NOSTATE: "NOSTATE",
    t.POWER_STATE_RUNNING: "RUNNING",
    t.POWER_STATE_PAUSED: "PAUSED",
    t.POWER_STATE_SHUTDOWN: "SHUTDOWN",
    t.POWER_STATE_CRASHED: "CRASHED",
    t.POWER_STATE_SUSPENDED: "SUSPENDED",
}

KNOWN_STATUSES = frozenset({*_BY_VM_STATE.values(), *_ACTIVE_TASKS.values()})


def server_status(instance: t.Instance) -> str:
    """The `status` Nova would show for this instance."""
    if instance.vm_state == t.VM_STATE_ACTIVE and instance.task_state in _ACTIVE_TASKS:
        return _ACTIVE_TASKS[instance.task_state]
    return _BY_VM_STATE.get(instance.vm_state, "UNKNOWN")
