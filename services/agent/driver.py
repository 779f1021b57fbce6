"""The hypervisor driver interface, in the spirit of nova/virt/driver.py.

One driver instance serves one host. Every method states what holds once it returns and
whether calling it twice is safe: the conductor retries commands after a lost stream, so
repeating an action that already took effect must succeed with the same outcome.

The hypervisor is the authority on power state: methods return the state read back from
it after acting, never the state they hoped for.
"""

from __future__ import annotations

import abc

from services.agent.power_state import PowerState
from stratus.v1 import agent_pb2, types_pb2


class DriverError(Exception):
    """An action the hypervisor could not carry out; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DomainNotFound(DriverError):
    """The instance has no domain on this host."""


class ComputeDriver(abc.ABC):
    """What the agent needs from a hypervisor, per host."""

    host: str

    @abc.abstractmethod
    async def host_info(self) -> types_pb2.Host:
        """This host's capacity and usage now (totals, used by defined domains, running).

        No side effects; safe to call at any time.
        """

    @abc.abstractmethod
    async def list_domains(self) -> list[agent_pb2.DomainStatus]:
        """Every Stratus domain defined on this host with its power state.

        No side effects; what a Resync sends.
        """

    @abc.abstractmethod
    async def spawn(self, spec: agent_pb2.SpawnSpec) -> PowerState:
        """Define and start the instance's domain.

        Afterwards the domain is defined and active. Twice is safe: an existing domain is
        started if it is not active and kept as it is otherwise. A domain that was defined
        but failed to start is undefined again before DriverError is raised.
        """

    @abc.abstractmethod
    async def destroy(self, instance_id: str) -> None:
        """Stop the domain at once and undefine it, with any managed-save image.

        Afterwards the host has no domain for the instance. Twice is safe: a missing
        domain is success.
        """

    @abc.abstractmethod
    async def power_off(self, instance_id: str) -> PowerState:
        """Shut the guest down gracefully; force it off after the shutdown timeout.

        Afterwards the domain is shut off (SHUTDOWN) and any managed-save image is
        discarded. Twice is safe. DomainNotFound if there is no domain.
        """

    @abc.abstractmethod
    async def power_on(self, instance_id: str) -> PowerState:
        """Start the domain (restoring a managed-save image if present), or unpause it.

        Afterwards the domain runs (RUNNING). Twice is safe. DomainNotFound if missing.
        """

    @abc.abstractmethod
    async def reboot(self, instance_id: str, hard: bool) -> PowerState:
        """Reboot: soft asks the guest; hard stops the domain and starts it afresh.

        A soft reboot of a domain that is not running, or that the hypervisor refuses,
        falls back to a hard one, as Nova does. Afterwards the domain runs (RUNNING).
        Twice reboots twice, which is harmless. DomainNotFound if missing.
        """

    @abc.abstractmethod
    async def pause(self, instance_id: str) -> PowerState:
        """Freeze the guest's CPUs in memory.

        Afterwards the domain is PAUSED. Twice is safe. DriverError if it is not active.
        """

    @abc.abstractmethod
    async def unpause(self, instance_id: str) -> PowerState:
        """Let a paused guest run again.

        Afterwards the domain is RUNNING. Twice is safe. DriverError if it is shut off.
        """

    @abc.abstractmethod
    async def suspend(self, instance_id: str) -> PowerState:
        """Save the guest's memory to disk and stop the domain (libvirt managed save).

        Afterwards the domain is shut off with a saved image (SUSPENDED). Twice is safe.
        DriverError if it is shut off without an image.
        """

    @abc.abstractmethod
    async def resume(self, instance_id: str) -> PowerState:
        """Bring a suspended domain back from its saved image.

        Afterwards the domain is RUNNING (a shut-off domain without an image is simply
        started, a paused one unpaused). Twice is safe. DomainNotFound if missing.
        """

    @abc.abstractmethod
    async def console_output(self, instance_id: str, length: int) -> str:
        """The last `length` lines of the guest's serial console log (0: all that is kept).

        No side effects. "" when the domain has no serial log (simulated hosts) or the
        guest has printed nothing yet. DomainNotFound if there is no domain.
        """

    @abc.abstractmethod
    async def vnc_console(self, instance_id: str) -> agent_pb2.ConsoleEndpoint:
        """Where the domain's VNC server listens, as the console proxy must reach it.

        No side effects. The address is the host's console address, the port the one the
        running domain has now (it may change when the domain restarts). DomainNotFound
        if there is no domain; DriverError if it is not running or has no VNC server.
        """

    @abc.abstractmethod
    async def power_state(self, instance_id: str) -> PowerState:
        """The domain's power state as the hypervisor reports it; NOSTATE if missing."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop delivering events and release the hypervisor connection. Twice is safe."""
