"""Configuration of stratus-scheduler."""

from __future__ import annotations

from dataclasses import dataclass

from services.runtime.config import CommonConfig


@dataclass(frozen=True)
class SchedulerConfig(CommonConfig):
    grpc_port: int = 8782
    cpu_allocation_ratio: float = 16.0
    ram_allocation_ratio: float = 1.5
    disk_allocation_ratio: float = 1.0
    # Pick randomly among this many best hosts so concurrent schedulers spread out.
    host_subset_size: int = 1
