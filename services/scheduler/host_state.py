"""The scheduler's view of every host: one HostState per host, and the same facts as columns.

`HostState` is what a filter's definition reads (`host_passes(host, spec)`). `HostTable`
keeps every host's numbers in numpy columns so that the filters and weighers that run
on every request (resources, liveness, weights) test all hosts at once instead of one
Python call per host. The view keeps both current from etcd watches, one host at a time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, overload

import numpy as np
import numpy.typing as npt

from services.state import keys
from services.state.claims import add_allocation
from services.state.etcd import Etcd
from services.state.informer import Informer
from services.state.placement import DEFAULT_ZONE
from services.state.repository import Versioned
from stratus.v1 import types_pb2 as t


@dataclass(frozen=True)
class HostState:
    """One host as a filter sees it: capacity, claims, liveness, aggregates, capabilities."""

    name: str
    up: bool = True
    enabled: bool = True
    vcpus: int = 0
    memory_mb: int = 0
    local_gb: int = 0
    vcpus_used: int = 0
    memory_mb_used: int = 0
    local_gb_used: int = 0
    instances: int = 0
    # Effective ratios: the scheduler's defaults unless an aggregate of the host sets them.
    cpu_allocation_ratio: float = 16.0
    ram_allocation_ratio: float = 1.5
    disk_allocation_ratio: float = 1.0
    availability_zone: str = DEFAULT_ZONE
    # Every metadata key of the host's aggregates, with the set of values they give it.
    aggregate_metadata: Mapping[str, frozenset[str]] = field(default_factory=dict)
    host_ip: str = ""
    # As the host reports it (libvirt's getType(): "QEMU", "TEST"), the spelling
    # os-hypervisors shows and every filter compares.
    hypervisor_type: str = ""
    hypervisor_version: int = 0
    supported_instances: frozenset[str] = frozenset()  # "<arch>/<hv_type>/<vm_mode>"
    # What the host reports for ComputeCapabilitiesFilter (Nova's stats and cpu_info), with
    # the static facts above folded in under their Nova names: one spelling of each fact.
    capabilities: Mapping[str, str] = field(default_factory=dict)
    recent_build_failures: int = 0

    def __post_init__(self) -> None:
        reported = dict(self.capabilities)
        reported.update(static_facts(self))
        object.__setattr__(self, "capabilities", reported)

    @property
    def free_memory_mb(self) -> int:
        return self.memory_mb - self.memory_mb_used

    @property
    def free_disk_gb(self) -> int:
        return self.local_gb - self.local_gb_used

    @property
    def free_vcpus(self) -> float:
        """vCPUs left under the allocation ratio (what CPUWeigher weighs)."""
        return self.vcpus * self.cpu_allocation_ratio - self.vcpus_used


def static_facts(host: HostState) -> dict[str, str]:
    """The facts of `host` that only its report decides, as capability strings.

    Nova's names (`vcpus_total`, `total_usable_ram_mb`, ...) and the names the agent
    reports (`vcpus`, `memory_mb`) both read the typed fields, so no filter can see a
    second spelling of a fact the host reported once.
    """
    return {
        "hypervisor_type": host.hypervisor_type,
        "hypervisor_version": str(host.hypervisor_version),
        "vcpus_total": str(host.vcpus),
        "vcpus": str(host.vcpus),
        "total_usable_ram_mb": str(host.memory_mb),
        "memory_mb": str(host.memory_mb),
        "total_usable_disk_gb": str(host.local_gb),
        "local_gb": str(host.local_gb),
    }


# Nova's HostState attribute names, read from ours: what JsonFilter's `$variable` and an
# extra spec's key name. Those in STATIC_FACTS are also in every host's `capabilities`.
FACTS: dict[str, Callable[[HostState], Any]] = {
    "host": lambda h: h.name,
    "nodename": lambda h: h.name,
    "hypervisor_hostname": lambda h: h.name,
    "host_ip": lambda h: h.host_ip,
    "hypervisor_type": lambda h: h.hypervisor_type,
    "hypervisor_version": lambda h: h.hypervisor_version,
    "vcpus_total": lambda h: h.vcpus,
    "vcpus_used": lambda h: h.vcpus_used,
    "total_usable_ram_mb": lambda h: h.memory_mb,
    "free_ram_mb": lambda h: h.memory_mb - h.memory_mb_used,
    "total_usable_disk_gb": lambda h: h.local_gb,
    "free_disk_mb": lambda h: (h.local_gb - h.local_gb_used) * 1024,
    "disk_mb_used": lambda h: h.local_gb_used * 1024,
    "num_instances": lambda h: h.instances,
    "failed_builds": lambda h: h.recent_build_failures,
    "cpu_allocation_ratio": lambda h: h.cpu_allocation_ratio,
    "ram_allocation_ratio": lambda h: h.ram_allocation_ratio,
    "disk_allocation_ratio": lambda h: h.disk_allocation_ratio,
}
STATIC_FACTS = frozenset(
    (
        "hypervisor_type",
        "hypervisor_version",
        "vcpus_total",
        "total_usable_ram_mb",
        "total_usable_disk_gb",
    )
)
# Facts that change with claims or differ on every host: read per host, never per value.
HOST_FACTS = frozenset(FACTS) - STATIC_FACTS


@overload
def fits(total: float, allocation_ratio: float, used: float, requested: float) -> bool: ...


@overload
def fits(
    total: npt.NDArray[np.float64],
    allocation_ratio: npt.NDArray[np.float64],
    used: npt.NDArray[np.float64],
    requested: float,
) -> npt.NDArray[np.bool_]: ...


def fits(total: Any, allocation_ratio: Any, used: Any, requested: float) -> Any:
    """Whether `requested` more of one resource (vCPUs, MB of RAM, GB of disk) fits a host.

    Nova's Core/Ram/DiskFilter: the request must fit the host's physical `total` on its
    own, whatever the ratio (an instance never over-commits against itself), and what is
    left under `total x allocation_ratio` after `used` must hold it. Scalars or columns
    alike: the filters, their column forms and the claim-time check share this one rule.
    """
    return (requested <= total) & (total * allocation_ratio - used >= requested)


Number = TypeVar("Number", int, float)


def aggregate_number(
    values: Iterable[str], default: Number, cast: Callable[[str], Number]
) -> Number:
    """A number set by the host's aggregates, replacing the configured `default`.

    Nova's `validate_num_values(values, default, cast_to, based_on=min)`: no aggregate
    sets it, the default; several do, the lowest, also when above the default; one value
    that does not read as a number, the default (Nova logs it and falls back).
    """
    found = list(values)
    if not found:
        return default
    try:
        return min(cast(value) for value in found)
    except ValueError:
        return default


# Numeric columns of HostTable, each a float64 array with one value per host.
NUMERIC_COLUMNS = (
    "vcpus",
    "memory_mb",
    "local_gb",
    "vcpus_used",
    "memory_mb_used",
    "local_gb_used",
    "instances",
    "cpu_allocation_ratio",
    "ram_allocation_ratio",
    "disk_allocation_ratio",
    "recent_build_failures",
)

# Categorical columns of HostTable: few distinct values shared by many hosts (zones,
# aggregate metadata, capabilities, supported instances). Each host row holds a code;
# `category_values(name)[code]` is the value. A filter that reads one of these decides
# once per distinct value, not once per host.
CATEGORY_COLUMNS = (
    "availability_zone",
    "supported_instances",
    "aggregate_metadata",
    "capabilities",
)


def _category_key(value: Any) -> Hashable:
    """A hashable key equal for equal values (mappings hold frozensets or strings)."""
    if isinstance(value, Mapping):
        return frozenset(value.items())
    return value  # type: ignore[no-any-return]


class HostTable:
    """Every host's state as a row: `states[i]` and column arrays `column(name)[i]`.

    Rows are kept dense: removing a host moves the last row into its place, so `rows`
    are not stable across removals; names are.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self.names: list[str] = []
        self.states: list[HostState] = []
        self.index: dict[str, int] = {}
        self._capacity = capacity
        self._numeric = {name: np.zeros(capacity) for name in NUMERIC_COLUMNS}
        self._up = np.zeros(capacity, dtype=bool)
        self._enabled = np.zeros(capacity, dtype=bool)
        self._codes = {name: np.zeros(capacity, dtype=np.intp) for name in CATEGORY_COLUMNS}
        # Codes are never reused: the distinct values stay few (zones, aggregate layouts).
        self._category_values: dict[str, list[Any]] = {name: [] for name in CATEGORY_COLUMNS}
        self._category_codes: dict[str, dict[Hashable, int]] = {
            name: {} for name in CATEGORY_COLUMNS
        }

    def __len__(self) -> int:
        return len(self.names)

    def column(self, name: str) -> npt.NDArray[np.float64]:
        """The live column `name` over all hosts (a view: do not write to it)."""
        return self._numeric[name][: len(self.names)]

    def codes(self, name: str) -> npt.NDArray[np.intp]:
        """The categorical column `name`: one code per host (a view: do not write to it)."""
        return self._codes[name][: len(self.names)]

    def category_values(self, name: str) -> list[Any]:
        """Every distinct value the categorical column `name` has held, by code."""
        return self._category_values[name]

    def _code(self, name: str, value: Any) -> int:
        known = self._category_codes[name]
        key = _category_key(value)
        code = known.get(key)
        if code is None:
            code = known[key] = len(self._category_values[name])
            self._category_values[name].append(value)
        return code

    @property
    def up(self) -> npt.NDArray[np.bool_]:
        return self._up[: len(self.names)]

    @property
    def enabled(self) -> npt.NDArray[np.bool_]:
        return self._enabled[: len(self.names)]

    def _grow(self) -> None:
        self._capacity *= 2
        for name, array in self._numeric.items():
            self._numeric[name] = np.resize(array, self._capacity)
        self._up = np.resize(self._up, self._capacity)
        self._enabled = np.resize(self._enabled, self._capacity)
        for name, codes in self._codes.items():
            self._codes[name] = np.resize(codes, self._capacity)

    def upsert(self, state: HostState) -> None:
        row = self.index.get(state.name)
        if row is None:
            if len(self.names) == self._capacity:
                self._grow()
            row = len(self.names)
            self.names.append(state.name)
            self.states.append(state)
            self.index[state.name] = row
        else:
            self.states[row] = state
        for name, array in self._numeric.items():
            array[row] = getattr(state, name)
        self._up[row] = state.up
        self._enabled[row] = state.enabled
        for name, codes in self._codes.items():
            codes[row] = self._code(name, getattr(state, name))

    def remove(self, name: str) -> None:
        row = self.index.pop(name, None)
        if row is None:
            return
        last = len(self.names) - 1
        if row != last:
            moved = self.names[last]
            self.names[row] = moved
            self.states[row] = self.states[last]
            self.index[moved] = row
            for array in self._numeric.values():
                array[row] = array[last]
            self._up[row] = self._up[last]
            self._enabled[row] = self._enabled[last]
            for codes in self._codes.values():
                codes[row] = codes[last]
        self.names.pop()
        self.states.pop()


@dataclass(frozen=True)
class Defaults:
    """What a host has unless one of its aggregates says otherwise."""

    cpu_allocation_ratio: float = 16.0
    ram_allocation_ratio: float = 1.5
    disk_allocation_ratio: float = 1.0
    build_failure_window_seconds: float = 600.0


def _parse(message_type: type[t.Host] | type[t.HostUsage] | type[t.Aggregate]):  # type: ignore[no-untyped-def]
    def decode(raw: bytes):  # type: ignore[no-untyped-def]
        message = message_type()
        message.ParseFromString(raw)
        return message

    return decode


def _ratio(metadata: Mapping[str, frozenset[str]], key: str, default: float) -> float:
    """The host's allocation ratio: its aggregates' (Nova's Aggregate*Filter), else default."""
    return aggregate_number(metadata.get(key, ()), default, float)


def build_state(
    name: str,
    host: t.Host,
    alive: bool,
    usage: t.HostUsage,
    aggregates: list[t.Aggregate],
    defaults: Defaults,
    now: float,
) -> HostState:
    """One host's state from its report, liveness, claimed usage and aggregates."""
    metadata: dict[str, set[str]] = {}
    zones = set()
    for aggregate in aggregates:
        if aggregate.availability_zone:
            zones.add(aggregate.availability_zone)
            metadata.setdefault("availability_zone", set()).add(aggregate.availability_zone)
        for key, value in aggregate.metadata.items():
            metadata.setdefault(key, set()).add(value)
    frozen = {key: frozenset(values) for key, values in metadata.items()}
    failures = usage.recent_build_failures
    if (
        failures
        and now - usage.last_build_failure_at.seconds > defaults.build_failure_window_seconds
    ):
        failures = 0
    return HostState(
        name=name,
        up=alive,
        enabled=host.enabled,
        vcpus=host.vcpus,
        memory_mb=host.memory_mb,
        local_gb=host.local_gb,
        vcpus_used=usage.vcpus_used,
        memory_mb_used=usage.memory_mb_used,
        local_gb_used=usage.local_gb_used,
        instances=usage.instances,
        cpu_allocation_ratio=_ratio(frozen, "cpu_allocation_ratio", defaults.cpu_allocation_ratio),
        ram_allocation_ratio=_ratio(frozen, "ram_allocation_ratio", defaults.ram_allocation_ratio),
        disk_allocation_ratio=_ratio(
            frozen, "disk_allocation_ratio", defaults.disk_allocation_ratio
        ),
        availability_zone=sorted(zones)[0] if zones else DEFAULT_ZONE,
        aggregate_metadata=frozen,
        host_ip=host.host_ip,
        hypervisor_type=host.hypervisor_type,
        hypervisor_version=host.hypervisor_version,
        supported_instances=frozenset(host.supported_instances),
        capabilities=dict(host.capabilities),
        recent_build_failures=failures,
    )


class HostStateView:
    """Hosts, their liveness, claimed usage and aggregates, kept live by etcd watches."""

    def __init__(self, etcd: Etcd, defaults: Defaults | None = None) -> None:
        self.defaults = defaults or Defaults()
        self.hosts: Informer[t.Host] = Informer(etcd, keys.HOSTS, _parse(t.Host))
        self.alive: Informer[bytes] = Informer(etcd, keys.HOST_ALIVE, lambda raw: raw)
        self.usage: Informer[t.HostUsage] = Informer(etcd, keys.HOST_USAGE, _parse(t.HostUsage))
        self.aggregates: Informer[t.Aggregate] = Informer(
            etcd, keys.AGGREGATES, _parse(t.Aggregate)
        )
        self.table = HostTable()
        # Claims this scheduler is committing right now, counted before etcd confirms them,
        # so that concurrent decisions see each other (Nova's consume_from_request).
        self.in_flight: dict[str, list[t.Allocation]] = {}
        self._aggregates_of: dict[str, list[t.Aggregate]] = {}

    @property
    def informers(
        self,
    ) -> tuple[Informer[t.Host], Informer[bytes], Informer[t.HostUsage], Informer[t.Aggregate]]:
        return (self.hosts, self.alive, self.usage, self.aggregates)

    async def start(self) -> None:
        self.hosts.on_change = self._host_changed
        self.alive.on_change = self._host_changed
        self.usage.on_change = self._host_changed
        self.aggregates.on_change = self._aggregate_changed
        for informer in self.informers:
            informer.on_relist = self.rebuild
        for informer in self.informers:
            await informer.start()
        self.rebuild()

    async def stop(self) -> None:
        for informer in self.informers:
            await informer.stop()

    def rebuild(self) -> None:
        """Recompute every host (after a relist); single changes go through refresh()."""
        self._aggregates_of = {}
        for aggregate, _ in self.aggregates.items.values():
            for host in aggregate.hosts:
                self._aggregates_of.setdefault(host, []).append(aggregate)
        for name in list(self.table.names):
            if name not in self.hosts.items:
                self.table.remove(name)
        for name in self.hosts.items:
            self.refresh(name)

    def _host_changed(self, name: str) -> None:
        self.refresh(name)

    def _aggregate_changed(self, _: str) -> None:
        self.rebuild()

    def refresh(self, name: str) -> None:
        """Recompute one host's row from what the informers hold."""
        found = self.hosts.items.get(name)
        if found is None:
            self.table.remove(name)
            return
        usage = self.usage.items.get(name, (t.HostUsage(host=name), 0))[0]
        for allocation in self.in_flight.get(name, ()):
            usage = add_allocation(usage, allocation, +1)
        self.table.upsert(
            build_state(
                name,
                found[0],
                name in self.alive.items,
                usage,
                self._aggregates_of.get(name, []),
                self.defaults,
                time.time(),
            )
        )

    def consume(self, allocation: t.Allocation) -> None:
        self.in_flight.setdefault(allocation.host, []).append(allocation)
        self.refresh(allocation.host)

    def settle(self, allocation: t.Allocation, committed: Versioned[t.HostUsage] | None) -> None:
        """The claim is decided: stop counting it, and fold in what etcd now holds."""
        pending = self.in_flight.get(allocation.host, [])
        if allocation in pending:
            pending.remove(allocation)
        if not pending:
            self.in_flight.pop(allocation.host, None)
        if committed is not None:
            self.usage.fold(committed.id, committed.message, committed.mod_revision)
        self.refresh(allocation.host)

    def snapshot(self) -> list[HostState]:
        return list(self.table.states)


def with_usage(state: HostState, **changes: int) -> HostState:
    """A copy of `state` with some counters changed (for tests and benchmarks)."""
    return replace(state, **changes)  # type: ignore[arg-type]
