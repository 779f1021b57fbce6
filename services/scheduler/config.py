"""Configuration of stratus-scheduler."""

from __future__ import annotations

from dataclasses import dataclass

from services.runtime.config import CommonConfig

# Cheapest and most restrictive first, as Nova orders its defaults. Filters a request does
# not ask for (no zone, no hint, no extra specs) step aside at no cost; docs/scheduler.md
# says what each one passes.
DEFAULT_FILTERS = ",".join(
    (
        "ComputeFilter",
        "RetryFilter",
        "AvailabilityZoneFilter",
        "RamFilter",
        "CoreFilter",
        "DiskFilter",
        "NumInstancesFilter",
        "ComputeCapabilitiesFilter",
        "ImagePropertiesFilter",
        "ServerGroupAntiAffinityFilter",
        "ServerGroupAffinityFilter",
        "SameHostFilter",
        "DifferentHostFilter",
        "AggregateMultiTenancyIsolation",
        "AggregateInstanceExtraSpecsFilter",
        "IsolatedHostsFilter",
        "SimpleCIDRAffinityFilter",
        "JsonFilter",
    )
)
# Every weigher that can tell hosts apart (NoOpWeigher cannot).
DEFAULT_WEIGHERS = ",".join(
    (
        "RAMWeigher",
        "CPUWeigher",
        "DiskWeigher",
        "NumInstancesWeigher",
        "BuildFailureWeigher",
        "ServerGroupSoftAffinityWeigher",
        "ServerGroupSoftAntiAffinityWeigher",
    )
)


@dataclass(frozen=True)
class SchedulerConfig(CommonConfig):
    grpc_port: int = 8782
    # Comma-separated, in order. An unknown name stops the scheduler, naming it.
    enabled_filters: str = DEFAULT_FILTERS
    weighers: str = DEFAULT_WEIGHERS
    cpu_allocation_ratio: float = 16.0
    ram_allocation_ratio: float = 1.5
    disk_allocation_ratio: float = 1.0
    # Weigher multipliers: positive spreads, negative stacks (fill-first). For
    # NumInstancesWeigher positive packs onto busy hosts, negative spreads (0: ignored).
    ram_weight_multiplier: float = 1.0
    cpu_weight_multiplier: float = 1.0
    disk_weight_multiplier: float = 1.0
    num_instances_weight_multiplier: float = 0.0
    build_failure_weight_multiplier: float = 1_000_000.0
    soft_affinity_weight_multiplier: float = 1.0
    soft_anti_affinity_weight_multiplier: float = 1.0
    # Builds that failed on a host stop counting against it after this long.
    build_failure_window_seconds: float = 600.0
    # NumInstancesFilter; an aggregate's "max_instances_per_host" metadata may lower it.
    max_instances_per_host: int = 50
    # IsolatedHostsFilter: comma-separated host names and image ids. Isolated images run
    # only on isolated hosts; with the restriction, isolated hosts run only those images.
    isolated_hosts: str = ""
    isolated_images: str = ""
    restrict_isolated_hosts_to_isolated_images: bool = True
    # Pick randomly among this many best hosts so concurrent schedulers spread out.
    host_subset_size: int = 1
    # Runner-up hosts returned with each decision, for a reschedule.
    max_alternates: int = 2
