from __future__ import annotations

from services.scheduler.filters.base import BaseFilter
from services.scheduler.host_state import HostState
from services.scheduler.request_spec import RequestSpec


class RamFilter(BaseFilter):
    """Passes hosts with enough free RAM under `ram_allocation_ratio`."""

    name = "RamFilter"

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        return host.memory_mb * self.ratios.ram - host.memory_mb_used >= spec.memory_mb

    def reason(self, spec: RequestSpec) -> str:
        return f"have less than {spec.memory_mb} MB free"
