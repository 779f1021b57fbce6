"""From libvirt's domain states and lifecycle events to Stratus' (Nova's) power state.

The hypervisor is the authority on power state: on a lifecycle event the driver reads the
domain's state and maps it with `from_domain`; the event itself supplies only a name (and
`from_event` is the fallback when the domain is already gone and cannot be asked).

One refinement over the plain table: a domain that is shut off with a managed-save image
(what `suspend` leaves behind) is reported as SUSPENDED, because libvirt restores its
memory on the next start. Everything else follows the table exactly.
"""

from __future__ import annotations

from typing import TypeAlias

import libvirt

from stratus.v1 import types_pb2

# A types_pb2.PowerState value (an int at run time; typed as the enum by the stubs).
PowerState: TypeAlias = types_pb2.PowerState

NOSTATE = types_pb2.POWER_STATE_NOSTATE
RUNNING = types_pb2.POWER_STATE_RUNNING
PAUSED = types_pb2.POWER_STATE_PAUSED
SHUTDOWN = types_pb2.POWER_STATE_SHUTDOWN
CRASHED = types_pb2.POWER_STATE_CRASHED
SUSPENDED = types_pb2.POWER_STATE_SUSPENDED

# libvirt virDomainState -> power state (the table in DESIGN.md).
DOMAIN_STATES: dict[int, PowerState] = {
    libvirt.VIR_DOMAIN_NOSTATE: NOSTATE,
    libvirt.VIR_DOMAIN_RUNNING: RUNNING,
    libvirt.VIR_DOMAIN_BLOCKED: RUNNING,
    libvirt.VIR_DOMAIN_PAUSED: PAUSED,
    libvirt.VIR_DOMAIN_SHUTDOWN: SHUTDOWN,
    libvirt.VIR_DOMAIN_SHUTOFF: SHUTDOWN,
    libvirt.VIR_DOMAIN_CRASHED: CRASHED,
    libvirt.VIR_DOMAIN_PMSUSPENDED: SUSPENDED,
}

# libvirt virDomainEventType -> the name sent in PowerStateEvent.event.
EVENT_NAMES: dict[int, str] = {
    libvirt.VIR_DOMAIN_EVENT_DEFINED: "DEFINED",
    libvirt.VIR_DOMAIN_EVENT_UNDEFINED: "UNDEFINED",
    libvirt.VIR_DOMAIN_EVENT_STARTED: "STARTED",
    libvirt.VIR_DOMAIN_EVENT_SUSPENDED: "SUSPENDED",
    libvirt.VIR_DOMAIN_EVENT_RESUMED: "RESUMED",
    libvirt.VIR_DOMAIN_EVENT_STOPPED: "STOPPED",
    libvirt.VIR_DOMAIN_EVENT_SHUTDOWN: "SHUTDOWN",
    libvirt.VIR_DOMAIN_EVENT_PMSUSPENDED: "PMSUSPENDED",
    libvirt.VIR_DOMAIN_EVENT_CRASHED: "CRASHED",
}

# libvirt virDomainEventType -> power state it implies; DEFINED and UNDEFINED imply none.
EVENT_STATES: dict[int, PowerState | None] = {
    libvirt.VIR_DOMAIN_EVENT_DEFINED: None,
    libvirt.VIR_DOMAIN_EVENT_UNDEFINED: None,
    libvirt.VIR_DOMAIN_EVENT_STARTED: RUNNING,
    libvirt.VIR_DOMAIN_EVENT_RESUMED: RUNNING,
    libvirt.VIR_DOMAIN_EVENT_SUSPENDED: PAUSED,
    libvirt.VIR_DOMAIN_EVENT_PMSUSPENDED: SUSPENDED,
    libvirt.VIR_DOMAIN_EVENT_STOPPED: SHUTDOWN,
    libvirt.VIR_DOMAIN_EVENT_SHUTDOWN: SHUTDOWN,
    libvirt.VIR_DOMAIN_EVENT_CRASHED: CRASHED,
}


def from_domain_state(state: int) -> PowerState:
    """The power state for a libvirt domain state; unknown (newer) states are NOSTATE."""
    return DOMAIN_STATES.get(state, NOSTATE)


def from_domain(state: int, has_managed_save: bool) -> PowerState:
    """The power state of a domain, knowing whether it has a managed-save image.

    A shut-off domain with a managed-save image is suspended (its memory is on disk and
    comes back on start), not merely shut down.
    """
    if state == libvirt.VIR_DOMAIN_SHUTOFF and has_managed_save:
        return SUSPENDED
    return from_domain_state(state)


def from_event(event: int) -> PowerState | None:
    """The power state a lifecycle event implies, or None for DEFINED/UNDEFINED/unknown."""
    return EVENT_STATES.get(event)


def event_name(event: int) -> str:
    """libvirt's name for a lifecycle event type, e.g. STARTED; unknown ones as EVENT_<n>."""
    return EVENT_NAMES.get(event, f"EVENT_{event}")
