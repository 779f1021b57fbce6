"""The fleet's capacity and what servers have claimed of it, exported at scrape time.

Capacity is what the scheduler could still hand out: each host's physical vCPUs, memory and
disk times its allocation ratio (the scheduler's default or its aggregate's), summed over
hosts that are up and enabled. Used is what claims hold on every host, up or not (a down
host's servers still own their share). Used over capacity is how full the cloud is; above 1
means hosts are gone that servers were placed on.

Cloud totals only, no host label: a dashboard panel over thousands of hosts wants the sum;
per-host detail is `openstack hypervisor list`. Every scheduler replica reports the same
fleet; dashboards take the max over replicas.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.scheduler.host_state import HostState, HostStateView

MIB = 1024 * 1024
GIB = 1024 * MIB


def totals(states: Iterable[HostState]) -> dict[str, float]:
    """Capacity (allocatable on hosts up and enabled) and usage (on every host), by metric."""
    result = dict.fromkeys(
        (
            "stratus_scheduler_capacity_vcpus",
            "stratus_scheduler_used_vcpus",
            "stratus_scheduler_capacity_memory_bytes",
            "stratus_scheduler_used_memory_bytes",
            "stratus_scheduler_capacity_disk_bytes",
            "stratus_scheduler_used_disk_bytes",
        ),
        0.0,
    )
    for host in states:
        if host.up and host.enabled:
            result["stratus_scheduler_capacity_vcpus"] += host.vcpus * host.cpu_allocation_ratio
            result["stratus_scheduler_capacity_memory_bytes"] += (
                host.memory_mb * host.ram_allocation_ratio * MIB
            )
            result["stratus_scheduler_capacity_disk_bytes"] += (
                host.local_gb * host.disk_allocation_ratio * GIB
            )
        result["stratus_scheduler_used_vcpus"] += host.vcpus_used
        result["stratus_scheduler_used_memory_bytes"] += host.memory_mb_used * MIB
        result["stratus_scheduler_used_disk_bytes"] += host.local_gb_used * GIB
    return result


HELP = {
    "stratus_scheduler_capacity_vcpus": "vCPUs that can be allocated: physical vCPUs times "
    "the CPU allocation ratio, over hosts up and enabled.",
    "stratus_scheduler_used_vcpus": "vCPUs claimed by servers, over every host.",
    "stratus_scheduler_capacity_memory_bytes": "Memory that can be allocated: physical "
    "memory times the RAM allocation ratio, over hosts up and enabled.",
    "stratus_scheduler_used_memory_bytes": "Memory claimed by servers, over every host.",
    "stratus_scheduler_capacity_disk_bytes": "Disk that can be allocated: local disk times "
    "the disk allocation ratio, over hosts up and enabled.",
    "stratus_scheduler_used_disk_bytes": "Disk claimed by servers, over every host.",
}


class CapacityCollector(Collector):
    """The view's capacity and usage totals as gauges, computed on each scrape."""

    def __init__(self, view: HostStateView) -> None:
        self.view = view

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter([GaugeMetricFamily(name, HELP[name]) for name in HELP])

    def collect(self) -> Iterator[GaugeMetricFamily]:
        # A copy of the row list: the scrape runs on another thread than the watches.
        values = totals(self.view.snapshot())
        return iter(
            [GaugeMetricFamily(name, HELP[name], value=value) for name, value in values.items()]
        )


def export(view: HostStateView, registry: CollectorRegistry = REGISTRY) -> CapacityCollector:
    """Serve `view`'s capacity totals on /metrics (through `registry`)."""
    collector = CapacityCollector(view)
    registry.register(collector)
    return collector
