"""The scheduler's in-memory view of every host, fed by etcd watches (no scan per request)."""

from __future__ import annotations

from dataclasses import dataclass

from services.state import keys
from services.state.claims import add_allocation
from services.state.etcd import Etcd
from services.state.informer import Informer
from services.state.repository import Versioned
from stratus.v1 import types_pb2 as t


@dataclass(frozen=True)
class HostState:
    """One host as a filter sees it: its capacity, what is claimed on it, and liveness."""

    name: str
    up: bool
    enabled: bool
    vcpus: int
    memory_mb: int
    local_gb: int
    vcpus_used: int
    memory_mb_used: int
    local_gb_used: int
    instances: int

    @property
    def free_memory_mb(self) -> int:
        return self.memory_mb - self.memory_mb_used


def _parse(message_type: type[t.Host] | type[t.HostUsage]):  # type: ignore[no-untyped-def]
    def decode(raw: bytes):  # type: ignore[no-untyped-def]
        message = message_type()
        message.ParseFromString(raw)
        return message

    return decode


class HostStateView:
    """Hosts, their liveness and their claimed usage, each kept live by an Informer."""

    def __init__(self, etcd: Etcd) -> None:
        self.hosts: Informer[t.Host] = Informer(etcd, keys.HOSTS, _parse(t.Host))
        self.alive: Informer[bytes] = Informer(etcd, keys.HOST_ALIVE, lambda raw: raw)
        self.usage: Informer[t.HostUsage] = Informer(etcd, keys.HOST_USAGE, _parse(t.HostUsage))
        # Claims this scheduler is committing right now, counted before etcd confirms them,
        # so that concurrent decisions see each other (Nova's consume_from_request).
        self.in_flight: dict[str, list[t.Allocation]] = {}

    def consume(self, allocation: t.Allocation) -> None:
        self.in_flight.setdefault(allocation.host, []).append(allocation)

    def settle(self, allocation: t.Allocation, committed: Versioned[t.HostUsage] | None) -> None:
        """The claim is decided: stop counting it, and fold in what etcd now holds."""
        pending = self.in_flight.get(allocation.host, [])
        if allocation in pending:
            pending.remove(allocation)
        if not pending:
            self.in_flight.pop(allocation.host, None)
        if committed is not None:
            self.usage.fold(committed.id, committed.message, committed.mod_revision)

    async def start(self) -> None:
        for informer in (self.hosts, self.alive, self.usage):
            await informer.start()

    async def stop(self) -> None:
        for informer in (self.hosts, self.alive, self.usage):
            await informer.stop()

    def snapshot(self) -> list[HostState]:
        states = []
        for name, (host, _) in self.hosts.items.items():
            usage = self.usage.items.get(name, (t.HostUsage(host=name), 0))[0]
            for allocation in self.in_flight.get(name, ()):
                usage = add_allocation(usage, allocation, +1)
            states.append(
                HostState(
                    name=name,
                    up=name in self.alive.items,
                    enabled=host.enabled,
                    vcpus=host.vcpus,
                    memory_mb=host.memory_mb,
                    local_gb=host.local_gb,
                    vcpus_used=usage.vcpus_used,
                    memory_mb_used=usage.memory_mb_used,
                    local_gb_used=usage.local_gb_used,
                    instances=usage.instances,
                )
            )
        return states
