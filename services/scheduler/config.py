"""Configuration of stratus-scheduler."""

from __future__ import annotations

from dataclasses import dataclass

from services.runtime.config import CommonConfig

# Cheapest and most restrictive first, as Nova orders its defaults.
DEFAULT_FILTERS = "ComputeFilter,RetryFilter,RamFilter,CoreFilter,DiskFilter"
DEFAULT_WEIGHERS = "RAMWeigher"


@dataclass(frozen=True)
class SchedulerConfig(CommonConfig):
    grpc_port: int = 8782
    # Comma-separated, in order. An unknown name stops the scheduler, naming it.
    enabled_filters: str = DEFAULT_FILTERS
    weighers: str = DEFAULT_WEIGHERS
    cpu_allocation_ratio: float = 16.0
    ram_allocation_ratio: float = 1.5
    disk_allocation_ratio: float = 1.0
    # Weigher multipliers: positive spreads, negative stacks (fill-first).
    ram_weight_multiplier: float = 1.0
    cpu_weight_multiplier: float = 1.0
    disk_weight_multiplier: float = 1.0
    num_instances_weight_multiplier: float = 0.0
    build_failure_weight_multiplier: float = 1_000_000.0
    soft_affinity_weight_multiplier: float = 1.0
    soft_anti_affinity_weight_multiplier: float = 1.0
    # Builds that failed on a host stop counting against it after this long.
    build_failure_window_seconds: float = 600.0
    max_instances_per_host: int = 50  # NumInstancesFilter
    # Hosts only images/flavors marked isolated may use (IsolatedHostsFilter).
    isolated_hosts: str = ""
    isolated_images: str = ""
    restrict_isolated_hosts_to_isolated_images: bool = True
    # Pick randomly among this many best hosts so concurrent schedulers spread out.
    host_subset_size: int = 1
    # Runner-up hosts returned with each decision, for a reschedule.
    max_alternates: int = 2
